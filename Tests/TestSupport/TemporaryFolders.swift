import Foundation
import XCTest

extension XCTestCase {
  /// A fresh empty folder under the system temporary folder, named `<prefix>-<UUID>`, removed when the
  /// test ends.
  public func makeTemporaryFolder(_ prefix: String) throws -> URL {
    let folder = temporaryLocation(prefix)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
  }

  /// A fresh path `<UUID>-<name>` under the system temporary folder, not created: whatever the test
  /// writes there is removed when the test ends.
  public func temporaryLocation(_ name: String) -> URL {
    let location = FileManager.default.temporaryDirectory.appendingPathComponent(
      "\(UUID().uuidString)-\(name)")
    addTeardownBlock { try? FileManager.default.removeItem(at: location) }
    return location
  }
}
