import EfficientNetFiles
import Foundation

/// The kind of a weight file, judged by its first bytes (never by its extension).
public enum WeightFileFormat: Equatable, Sendable {
  /// A safetensors file (or anything that is not a PyTorch checkpoint: its reader says what is wrong).
  case safeTensors
  /// A PyTorch checkpoint in one of `torch.save`'s formats.
  case pyTorch(PyTorchCheckpoint.Format)

  /// Reads the first bytes of the file at `url` and says which reader it needs.
  ///
  /// - Throws: ``CheckpointError/unreadableFile(source:reason:)`` when the file cannot be opened, or
  ///   ``WeightIOError/notAWeightFile(source:reason:)`` when its first bytes are an image's (or another
  ///   known kind's) magic number, or fit no weight format at all.
  public static func of(contentsOf url: URL) throws -> WeightFileFormat {
    let head: Data
    do {
      head = try RegularFile.head(of: url, count: 16)
    } catch {
      throw CheckpointError.unreadableFile(source: url.path, reason: error.reason)
    }
    if let kind = FileSignature.foreignKind(of: head) {
      throw WeightIOError.notAWeightFile(source: url.path, reason: "it starts like \(kind)")
    }
    let format = of(head)
    if format == .safeTensors && !isPlausibleSafeTensorsStart(head) {
      throw WeightIOError.notAWeightFile(
        source: url.path,
        reason: "\(FileSignature.describeStart(of: head)), which is none of safetensors (an 8-byte header "
          + "length, then '{'), a zip archive (PK) or a pickle (80 02..05)")
    }
    return format
  }

  /// Whether `head` can start a safetensors file: too short to tell (the reader then says so), or a
  /// JSON object opening right after the 8-byte header length.
  private static func isPlausibleSafeTensorsStart(_ head: Data) -> Bool {
    let bytes = [UInt8](head.prefix(9))
    return bytes.count < 9 || bytes[8] == UInt8(ascii: "{") || bytes[8] == UInt8(ascii: " ")
  }

  /// The format of a file whose first bytes (at least 16 when the file has them) are `head`.
  public static func of(_ head: Data) -> WeightFileFormat {
    PyTorchCheckpoint.format(of: head).map { .pyTorch($0) } ?? .safeTensors
  }
}
