import EfficientNetTestSupport
import Foundation
import XCTest

/// Small hostile or helper inputs the tests build for themselves.
enum HostileFixtures {
  /// The repository's sample photo.
  static var photo: String { RepositoryPaths.samples.appendingPathComponent("chelsea.jpg").path }

  /// A CSV of `count` 8×8 gray images, `p0…p63,label`, labels cycling through `classes`; each class is
  /// a different brightness so the data is learnable.
  static func digitsCSV(count: Int, classes: Int, at url: URL) throws {
    var text = ""
    for row in 0..<count {
      let label = row % classes
      let pixels = (0..<64).map { index in String((label * 40 + index * 7 + row) % 256) }
      text += pixels.joined(separator: ",") + ",\(label)\n"
    }
    try text.write(to: url, atomically: true, encoding: .utf8)
  }

  /// A named pipe at `url` (reading it would wait for a writer for ever).
  static func fifo(at url: URL) throws {
    guard mkfifo(url.path, 0o644) == 0 else { throw POSIXError(.EIO) }
  }
}
