import EfficientNetCore
import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// Locates test fixtures: the repository's own, and the large ones in `../shared`.
enum Fixtures {
  /// `Tests/ModelTests/Fixtures`.
  static let directory = RepositoryPaths.fixtures("ModelTests")

  /// A safetensors file in `Tests/ModelTests/Fixtures`.
  static func file(_ name: String) throws -> SafeTensorsFile {
    try SafeTensorsFile.fixture("ModelTests", name)
  }

  /// A file from `shared/reference`, or a skip saying it is absent.
  static func shared(_ name: String) throws -> SafeTensorsFile {
    try SafeTensorsFile(contentsOf: try SharedData.require("reference/\(name)"))
  }

  /// The tensor `name` of `file` as a float `Tensor`.
  static func tensor(_ file: SafeTensorsFile, _ name: String) throws -> Tensor {
    try file.floatTensor(named: name)
  }
}
