import ArgumentParser
import EfficientNetTraining
import Foundation

/// Opens `--data`: a CSV of pixel rows (`.csv`, `.csv.gz`) or an image folder (`ROOT/CLASS/*.jpg|png`).
enum DatasetOpening {
  static func open(_ path: String) throws -> any LabeledDataset {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw CommandError("\(path): no such file or folder")
    }
    let url = URL(fileURLWithPath: path)
    if isDirectory.boolValue { return try ImageFolderDataset(root: url) }
    let name = url.lastPathComponent.lowercased()
    guard name.hasSuffix(".csv") || name.hasSuffix(".csv.gz") else {
      throw CommandError(
        "\(path): give an image folder (ROOT/CLASS/*.jpg|png) or a .csv / .csv.gz of pixel rows")
    }
    return try CSVImageDataset(contentsOf: url)
  }
}
