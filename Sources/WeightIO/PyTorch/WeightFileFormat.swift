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
  /// - Throws: ``CheckpointError/unreadableFile(source:reason:)`` when the file cannot be opened.
  public static func of(contentsOf url: URL) throws -> WeightFileFormat {
    do {
      return of(try RegularFile.head(of: url, count: 16))
    } catch {
      throw CheckpointError.unreadableFile(source: url.path, reason: error.reason)
    }
  }

  /// The format of a file whose first bytes (at least 16 when the file has them) are `head`.
  public static func of(_ head: Data) -> WeightFileFormat {
    PyTorchCheckpoint.format(of: head).map { .pyTorch($0) } ?? .safeTensors
  }
}
