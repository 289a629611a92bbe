import EfficientNetFiles
import EfficientNetTestSupport
import Foundation
import XCTest

/// Paths that are not regular files (classes 5 and 7 of the hardening issue): reading one never
/// blocks or streams without end, and writing never replaces anything but an absent or regular file.
final class FileHostileTests: XCTestCase {
  /// A FIFO, a character device, standard input and a link loop, given wherever a file is read.
  func testOnlyRegularFilesAreRead() throws {
    let folder = try makeTemporaryFolder("special")
    let fifo = folder.appendingPathComponent("pipe.jpg")
    try HostileFixtures.fifo(at: fifo)
    let loop = folder.appendingPathComponent("loop.png")
    try FileManager.default.createSymbolicLink(atPath: loop.path, withDestinationPath: loop.path)
    let photo = HostileFixtures.photo
    let output = folder.appendingPathComponent("out").path
    let cases: [([String], [String])] = [
      (["classify", fifo.path], [fifo.path, "named pipe"]),
      (["classify", "/dev/zero"], ["/dev/zero", "character device"]),
      (["classify", "/dev/stdin"], ["/dev/stdin"]),
      (["classify", loop.path], [loop.path, "loop of symbolic links"]),
      (["classify", photo, "--weights", fifo.path], [fifo.path, "named pipe"]),
      (["classify", photo, "--weights", "/dev/zero"], ["/dev/zero", "character device"]),
      (["convert", fifo.path, output], [fifo.path, "named pipe"]),
      (["train", "--data", fifo.path, "--output", output], [fifo.path, "named pipe"]),
      (["train", "--data", "/dev/zero", "--output", output], ["/dev/zero", "character device"]),
      (["explain", fifo.path, "--output", output + ".png"], [fifo.path, "named pipe"]),
    ]
    for (arguments, fragments) in cases {
      try assertToolRefuses(arguments, naming: fragments, peakMemoryMiB: 600, deadline: 20)
    }
  }

  /// `--output` over a FIFO or a symbolic link is refused and leaves both exactly as they were.
  func testOutputsNeverReplaceWhatIsNotARegularFile() throws {
    let folder = try makeTemporaryFolder("outputs")
    let fifo = folder.appendingPathComponent("pipe.safetensors")
    try HostileFixtures.fifo(at: fifo)
    let target = folder.appendingPathComponent("precious.txt")
    try "keep me".write(to: target, atomically: true, encoding: .utf8)
    let link = folder.appendingPathComponent("link.png")
    try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: target.path)
    let photo = HostileFixtures.photo
    let cases: [([String], [String])] = [
      (["embed", photo, "--output", fifo.path], [fifo.path, "named pipe"]),
      (["explain", photo, "--output", link.path], [link.path, "symbolic link"]),
      (["embed", photo, "--output", link.path], [link.path, "symbolic link"]),
      (
        ["embed", photo, "--output", folder.appendingPathComponent("missing/x.safetensors").path],
        ["does not exist"]
      ),
    ]
    for (arguments, fragments) in cases {
      try assertToolRefuses(arguments, naming: fragments, peakMemoryMiB: 600, deadline: 30)
    }
    XCTAssertEqual(FileKind.of(fifo.path, followingLinks: false), .fifo)
    XCTAssertEqual(FileKind.of(link.path, followingLinks: false), .symbolicLink)
    XCTAssertEqual(try String(contentsOf: target, encoding: .utf8), "keep me")
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter {
      $0.hasSuffix(".partial")
    }
    XCTAssertEqual(leftovers, [])
  }

  /// The library calls themselves: reading and replacing refuse by kind, and a regular file is fine.
  func testRegularFileAndAtomicFileRefuseByKind() throws {
    let folder = try makeTemporaryFolder("kinds")
    let fifo = folder.appendingPathComponent("pipe")
    try HostileFixtures.fifo(at: fifo)
    XCTAssertThrowsError(try RegularFile.contents(of: fifo)) { error in
      XCTAssertTrue("\(error)".contains("named pipe"), "\(error)")
    }
    XCTAssertThrowsError(try RegularFile.contents(of: folder)) { error in
      XCTAssertTrue("\(error)".contains("directory"), "\(error)")
    }
    XCTAssertThrowsError(try AtomicFile.write("x", to: fifo))
    let file = folder.appendingPathComponent("file.txt")
    try AtomicFile.write("one", to: file)
    try AtomicFile.write("two", to: file)
    XCTAssertEqual(try RegularFile.contents(of: file), Data("two".utf8))
    XCTAssertThrowsError(try RegularFile.contents(of: file, maximumByteCount: 2)) { error in
      XCTAssertTrue("\(error)".contains("limit"), "\(error)")
    }
  }
}
