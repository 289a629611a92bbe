import ArgumentParser
import EfficientNetFiles
import EfficientNetTraining
import Foundation

/// Opens `--data`: a CSV of pixel rows (`.csv`, `.csv.gz`) or an image folder (`ROOT/CLASS/*.jpg|png`).
enum DatasetOpening {
  static func open(_ path: String) throws -> any LabeledDataset {
    let url = URL(fileURLWithPath: path)
    switch FileKind.of(path) {
    case .directory: return try ImageFolderDataset(root: url)
    case .regularFile: break
    case .absent: throw CommandError("\(path): no such file or folder")
    case let other: throw CommandError("\(path): \(other.phrase)")
    }
    let name = url.lastPathComponent.lowercased()
    guard name.hasSuffix(".csv") || name.hasSuffix(".csv.gz") else {
      throw CommandError(
        "\(path): give an image folder (ROOT/CLASS/*.jpg|png) or a .csv / .csv.gz of pixel rows")
    }
    return try CSVImageDataset(contentsOf: url)
  }
}
