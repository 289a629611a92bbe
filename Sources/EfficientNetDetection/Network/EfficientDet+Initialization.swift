import EfficientNetCore
import EfficientNetModels
import Foundation
import WeightIO

extension EfficientDet {
  /// The class prior every class logit starts at (effdet's and the paper's): a probability of 0.01,
  /// so the focal loss of the many background anchors does not swamp the first steps.
  public static let classPriorBias = Float(-Foundation.log((1 - 0.01) / 0.01))

  /// A detector on a pretrained (or any) backbone, its feature network and heads freshly initialized
  /// from `seed`: convolutions normal with variance 1/fan-in, biases 0 (the class prediction's at
  /// ``classPriorBias``), batch norms γ 1, β 0, μ 0, σ² 1, fusion weights 1.
  ///
  /// - Throws: ``ModelError`` when `backbone` is not the configuration's backbone architecture.
  public init(configuration: DetectorConfiguration, backbone: EfficientNet, seed: UInt64) throws {
    let layout = try DetectorLayout(configuration)
    var generator = SeededGenerator(seed: seed)
    var tensors = Self.backboneTensors(of: backbone)
    for parameter in layout.parameters where !parameter.name.hasPrefix(DetectorLayout.backbonePrefix) {
      var tensor = Tensor(zeros: parameter.shape)
      switch parameter.role {
      case .weight where parameter.shape.count == 4:
        let deviation = (1 / Float(parameter.shape[1] * parameter.shape[2] * parameter.shape[3])).squareRoot()
        tensor.withUnsafeMutableBufferPointer { buffer in
          for index in buffer.indices { buffer[index] = generator.nextNormal() * deviation }
        }
      case .weight, .runningVariance, .fusionWeights:
        tensor = Tensor(shape: parameter.shape, repeating: 1)
      case .bias where parameter.name == "class_net.predict.conv_pw.bias":
        tensor = Tensor(shape: parameter.shape, repeating: Self.classPriorBias)
      case .bias, .runningMean:
        break
      }
      tensors[parameter.name] = tensor
    }
    try self.init(configuration: configuration, tensors: tensors, source: "initialization")
  }

  /// Whether a classifier's tensor (timm's name) belongs to the detector's backbone: everything but
  /// the head convolution and the classifier (effdet's backbone stops at the last block).
  static func isDetectorBackboneTensor(_ name: String) -> Bool {
    !name.hasPrefix("conv_head.") && !name.hasPrefix("bn2.") && !name.hasPrefix("classifier.")
  }

  /// `classifier`'s tensors that a detector's backbone holds, under effdet's `backbone.` names.
  static func backboneTensors(of classifier: EfficientNet) -> [String: Tensor] {
    Dictionary(
      uniqueKeysWithValues: classifier.tensors.filter { isDetectorBackboneTensor($0.key) }.map {
        (DetectorLayout.backbonePrefix + $0.key, $0.value)
      })
  }

  /// Every tensor of the detector under effdet's state-dict names, the backbone's under `backbone.`
  /// (running statistics included; the backbone's unused head convolution left out, as effdet has none).
  public var stateDictionary: [String: Tensor] {
    let merged = tensors.merging(Self.backboneTensors(of: backbone)) { own, _ in own }
    return Dictionary(uniqueKeysWithValues: layout.parameters.map { ($0.name, merged[$0.name]!) })
  }

  /// Writes the detector as a safetensors file (atomically) in effdet's names and order, with the
  /// model's name and the class names (`class_names`, a JSON array) in the header, so `detect`,
  /// `evaluate` and `run` load it as they load effdet's own checkpoints.
  public func write(to url: URL, classNames: [String]?) throws {
    let tensors = stateDictionary
    var metadata = ["model": configuration.name]
    if let classNames, let data = try? JSONEncoder().encode(classNames) {
      metadata["class_names"] = String(decoding: data, as: UTF8.self)
    }
    var writer = SafeTensorsWriter(metadata: metadata)
    for parameter in layout.parameters {
      let tensor = tensors[parameter.name]!
      try writer.add(name: parameter.name, shape: tensor.shape, values: tensor.scalars)
    }
    try writer.write(to: url)
  }
}
