import EfficientNetImageIO
import EfficientNetModels
import Foundation

/// One set of published ImageNet weights: where it is, how to check it, which model it fits, how its
/// inputs were prepared, and under which licence it is published.
///
/// Entries decode from JSON with the same keys (see ``WeightsCatalog/catalogVariable``).
public struct WeightsEntry: Codable, Equatable, Sendable {
  /// The entry's name, `model.tag` in timm's style: `efficientnet_b0.tv_in1k`, `tf_efficientnet_b3.aa_in1k`.
  public var name: String
  /// The model variant the weights fit (a ``ModelRegistry`` name).
  public var model: String
  /// Who publishes the file: `torchvision` or `timm`.
  public var source: String
  /// The canonical URL of the published file.
  public var url: String
  /// The SHA-256 the file must have: the whole hex digest, or the prefix its publisher puts in the file
  /// name (torch.hub's convention, `name-<first 8 hex digits>.pth`). Nil when only ``byteSize`` is known.
  public var sha256: String?
  /// The file's exact size in bytes, when published (checked when there is no ``sha256``).
  public var byteSize: Int64?
  /// The licence the weights are published under (SPDX identifier).
  public var licence: String
  /// The evaluation crop side, in pixels.
  public var resolution: Int
  /// The shorter side the image is resized to before the center crop.
  public var resizeSize: Int
  /// The resizing filter: `bicubic` or `bilinear`.
  public var interpolation: String
  /// The per-channel mean subtracted from pixels in [0, 1].
  public var mean: [Double]
  /// The per-channel standard deviation pixels are divided by.
  public var standardDeviation: [Double]
  /// The batch-normalization epsilon the publisher's model uses, when it differs from the variant's
  /// (torchvision's B5–B7, ported from lukemelas, use 1e-3 with PyTorch padding).
  public var batchNormEpsilon: Double?

  /// An entry; see each property for its meaning.
  public init(
    name: String, model: String, source: String, url: String, sha256: String?, byteSize: Int64?,
    licence: String, resolution: Int, resizeSize: Int, interpolation: String, mean: [Double],
    standardDeviation: [Double], batchNormEpsilon: Double?
  ) {
    self.name = name
    self.model = model
    self.source = source
    self.url = url
    self.sha256 = sha256
    self.byteSize = byteSize
    self.licence = licence
    self.resolution = resolution
    self.resizeSize = resizeSize
    self.interpolation = interpolation
    self.mean = mean
    self.standardDeviation = standardDeviation
    self.batchNormEpsilon = batchNormEpsilon
  }

  /// The file name the URL ends with (also the name a mirror serves it under).
  public var fileName: String {
    URL(string: url)?.lastPathComponent ?? url
  }

  /// The model configuration the weights load into: the variant, with the publisher's epsilon.
  ///
  /// - Throws: ``ArchitectureError`` when ``model`` names no variant.
  public func configuration() throws -> Configuration {
    var configuration = try ModelRegistry.configuration(named: model)
    if let batchNormEpsilon { configuration.batchNormEpsilon = batchNormEpsilon }
    configuration.resolution = resolution
    configuration.cropFraction = preprocessing.cropFraction
    return configuration
  }

  /// The evaluation transform these weights were measured with: resize the shorter side to
  /// ``resizeSize``, center-crop ``resolution``, normalize with ``mean`` and ``standardDeviation``.
  public var preprocessing: PreprocessingConfiguration {
    // The crop fraction whose `floor(resolution / fraction)` is exactly `resizeSize`.
    var fraction = Double(resolution) / Double(resizeSize)
    while Int((Double(resolution) / fraction).rounded(.down)) < resizeSize { fraction = fraction.nextDown }
    return PreprocessingConfiguration(
      resolution: resolution, cropFraction: fraction,
      interpolation: Interpolation(rawValue: interpolation) ?? .bicubic,
      mean: mean.map { Float($0) }, standardDeviation: standardDeviation.map { Float($0) })
  }
}
