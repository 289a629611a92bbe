import EfficientNetCore
import WeightIO

extension SafeTensorsFile {
  /// The tensor called `name`, converted to a float `Tensor` of its stored shape.
  public func floatTensor(named name: String) throws -> Tensor {
    let stored = try tensor(named: name)
    return Tensor(shape: stored.shape, values: stored.floats())
  }

  /// The file `name` in `Tests/<target>/Fixtures`.
  public static func fixture(_ target: String, _ name: String) throws -> SafeTensorsFile {
    try SafeTensorsFile(contentsOf: RepositoryPaths.fixtures(target, name))
  }
}
