import Foundation

/// Whether a downloaded file is the one its entry publishes: its SHA-256 starts with the entry's hex
/// digits, or (when the publisher gives no hash) its size is the entry's.
enum IntegrityCheck {
  /// Returns nil when `file` is `entry`'s, else what was found instead (the digest or size), for the
  /// error message.
  static func mismatch(of file: URL, for entry: WeightsEntry) throws -> (expected: String, found: String)? {
    if let expected = entry.sha256?.lowercased() {
      let digest: String
      do {
        digest = try SHA256.hexDigest(ofFileAt: file)
      } catch {
        return (expected: "SHA-256 \(expected)…", found: "an unreadable file: \(error)")
      }
      return digest.hasPrefix(expected) ? nil : ("SHA-256 \(expected)…", "SHA-256 \(digest)")
    }
    let size = WeightsHub.size(of: file)
    guard let expected = entry.byteSize else { return nil }
    return size == expected ? nil : ("\(expected) bytes", "\(size) bytes")
  }
}
