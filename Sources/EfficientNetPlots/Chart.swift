import EfficientNetFiles
import Foundation

/// A chart that renders to one SVG document and can write it atomically.
public protocol Chart {
  /// The whole SVG document.
  func svg() -> String
}

extension Chart {
  /// Writes ``svg()`` to `url` atomically (a reader never sees half a picture).
  ///
  /// - Throws: ``FileAccessError`` naming `url` when it cannot be written.
  public func write(to url: URL) throws(FileAccessError) {
    try AtomicFile.write(svg(), to: url)
  }
}
