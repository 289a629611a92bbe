import EfficientNetHub
import XCTest

/// SHA-256 against the FIPS 180-4 / NIST example vectors, fed whole and in uneven pieces.
final class SHA256Tests: XCTestCase {
  private func hex(_ text: String) -> String {
    var hash = SHA256()
    hash.update(Data(text.utf8))
    return hash.hexDigest()
  }

  func testKnownVectors() {
    XCTAssertEqual(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    XCTAssertEqual(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    XCTAssertEqual(
      hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    XCTAssertEqual(
      hex(
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
      ), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
  }

  func testOneMillionLettersInPieces() {
    var hash = SHA256()
    let piece = Data(repeating: UInt8(ascii: "a"), count: 999)
    for _ in 0..<1001 { hash.update(piece) }
    hash.update(Data(repeating: UInt8(ascii: "a"), count: 1_000_000 - 999 * 1001))
    XCTAssertEqual(hash.hexDigest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  func testPiecesAndBlockBoundariesAgreeWithWholeInput() {
    for length in [55, 56, 63, 64, 65, 127, 128, 200] {
      let bytes = Data((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
      var whole = SHA256()
      whole.update(bytes)
      var pieces = SHA256()
      var index = 0
      var size = 1
      while index < bytes.count {
        let end = min(bytes.count, index + size)
        pieces.update(bytes.subdata(in: index..<end))
        index = end
        size += 3
      }
      XCTAssertEqual(pieces.hexDigest(), whole.hexDigest(), "length \(length)")
    }
  }

  func testFileDigestMatchesInMemoryDigest() throws {
    let file = temporaryLocation("hash.bin")
    let bytes = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    try bytes.write(to: file)
    var hash = SHA256()
    hash.update(bytes)
    XCTAssertEqual(try SHA256.hexDigest(ofFileAt: file), hash.hexDigest())
  }
}
