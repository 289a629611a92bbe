/// The published ImageNet-1k weights this package knows, as their publishers describe them.
///
/// Sources, read from the publishers' code: torchvision's `torchvision/models/efficientnet.py`
/// (`EfficientNet_B*_Weights`: URL, `crop_size`, `resize_size`, `interpolation`; B5–B7 built with
/// BatchNorm epsilon 1e-3) and timm's `timm/models/efficientnet.py` (`default_cfgs`: the GitHub release
/// URL, `input_size`, `crop_pct`, `interpolation`, `mean`, `std`). Each file name ends with the first
/// 8 hex digits of the file's SHA-256 (torch.hub's convention), which is what is checked.
enum BuiltInCatalog {
  static let torchvisionLicence = "BSD-3-Clause"
  static let timmLicence = "Apache-2.0"
  static let imageNetMean = [0.485, 0.456, 0.406]
  static let imageNetDeviation = [0.229, 0.224, 0.225]
  static let half = [0.5, 0.5, 0.5]
  static let torchvisionBase = "https://download.pytorch.org/models/"
  static let timmBase = "https://github.com/rwightman/pytorch-image-models/releases/download/v0.1-weights/"
  static let timmHuggingFaceBase =
    "https://github.com/huggingface/pytorch-image-models/releases/download/v0.1-weights/"

  /// torchvision's weights: (variant, tag, file, crop, resize, interpolation, epsilon).
  static let torchvisionRows: [(String, String, String, Int, Int, String, Double?)] = [
    ("b0", "tv_in1k", "efficientnet_b0_rwightman-3dd342df.pth", 224, 256, "bicubic", nil),
    ("b1", "tv_in1k", "efficientnet_b1_rwightman-533bc792.pth", 240, 256, "bicubic", nil),
    ("b1", "tv2_in1k", "efficientnet_b1-c27df63c.pth", 240, 255, "bilinear", nil),
    ("b2", "tv_in1k", "efficientnet_b2_rwightman-bcdf34b7.pth", 288, 288, "bicubic", nil),
    ("b3", "tv_in1k", "efficientnet_b3_rwightman-cf984f9c.pth", 300, 320, "bicubic", nil),
    ("b4", "tv_in1k", "efficientnet_b4_rwightman-7eb33cd5.pth", 380, 384, "bicubic", nil),
    ("b5", "tv_in1k", "efficientnet_b5_lukemelas-b6417697.pth", 456, 456, "bicubic", 1e-3),
    ("b6", "tv_in1k", "efficientnet_b6_lukemelas-c76e70fd.pth", 528, 528, "bicubic", 1e-3),
    ("b7", "tv_in1k", "efficientnet_b7_lukemelas-dcc49843.pth", 600, 600, "bicubic", 1e-3),
  ]

  /// timm's weights: (model, tag, base URL, file, input size, resize = floor(size / crop_pct),
  /// interpolation, mean and std).
  static let timmRows: [(String, String, String, String, Int, Int, String, [Double], [Double])] = [
    (
      "efficientnet_b0", "ra_in1k", timmBase, "efficientnet_b0_ra-3dd342df.pth", 224, 256, "bicubic",
      imageNetMean, imageNetDeviation
    ),
    (
      "efficientnet_b1", "ft_in1k", timmBase, "efficientnet_b1-533bc792.pth", 224, 224, "bicubic",
      imageNetMean, imageNetDeviation
    ),
    (
      "efficientnet_b2", "ra_in1k", timmBase, "efficientnet_b2_ra-bcdf34b7.pth", 256, 256, "bicubic",
      imageNetMean, imageNetDeviation
    ),
    (
      "efficientnet_b3", "ra2_in1k", timmBase, "efficientnet_b3_ra2-cf984f9c.pth", 288, 288, "bicubic",
      imageNetMean, imageNetDeviation
    ),
    (
      "efficientnet_b4", "ra2_in1k", timmBase, "efficientnet_b4_ra2_320-7eb33cd5.pth", 320, 320, "bicubic",
      imageNetMean, imageNetDeviation
    ),
    (
      "efficientnet_lite0", "ra_in1k", timmBase, "efficientnet_lite0_ra-37913777.pth", 224, 256, "bicubic",
      imageNetMean, imageNetDeviation
    ),
    (
      "tf_efficientnet_b0", "aa_in1k", timmBase, "tf_efficientnet_b0_aa-827b6e33.pth", 224, 256, "bicubic",
      imageNetMean, imageNetDeviation
    ),
    (
      "tf_efficientnet_b1", "aa_in1k", timmBase, "tf_efficientnet_b1_aa-ea7a6ee0.pth", 240, 272, "bicubic",
      imageNetMean, imageNetDeviation
    ),
    (
      "tf_efficientnet_b2", "aa_in1k", timmBase, "tf_efficientnet_b2_aa-60c94f97.pth", 260, 292, "bicubic",
      imageNetMean, imageNetDeviation
    ),
    (
      "tf_efficientnet_b3", "aa_in1k", timmBase, "tf_efficientnet_b3_aa-84b4657e.pth", 300, 331, "bicubic",
      imageNetMean, imageNetDeviation
    ),
    (
      "tf_efficientnet_b4", "aa_in1k", timmBase, "tf_efficientnet_b4_aa-818f208c.pth", 380, 412, "bicubic",
      imageNetMean, imageNetDeviation
    ),
    (
      "tf_efficientnet_b5", "aa_in1k", timmHuggingFaceBase, "tf_efficientnet_b5_aa-99018a74.pth", 456, 488,
      "bicubic", imageNetMean, imageNetDeviation
    ),
    (
      "tf_efficientnet_b6", "aa_in1k", timmBase, "tf_efficientnet_b6_aa-80ba17e4.pth", 528, 560, "bicubic",
      imageNetMean, imageNetDeviation
    ),
    (
      "tf_efficientnet_b7", "aa_in1k", timmHuggingFaceBase, "tf_efficientnet_b7_aa-076e3472.pth", 600, 632,
      "bicubic", imageNetMean, imageNetDeviation
    ),
    (
      "tf_efficientnet_lite0", "in1k", timmBase, "tf_efficientnet_lite0-0aa007d2.pth", 224, 256, "bicubic",
      half, half
    ),
    (
      "tf_efficientnet_lite1", "in1k", timmBase, "tf_efficientnet_lite1-bde8b488.pth", 240, 272, "bicubic",
      half, half
    ),
    (
      "tf_efficientnet_lite2", "in1k", timmBase, "tf_efficientnet_lite2-dcccb7df.pth", 260, 292, "bicubic",
      half, half
    ),
    (
      "tf_efficientnet_lite3", "in1k", timmBase, "tf_efficientnet_lite3-b733e338.pth", 300, 331, "bilinear",
      half, half
    ),
    (
      "tf_efficientnet_lite4", "in1k", timmBase, "tf_efficientnet_lite4-741542c3.pth", 380, 413, "bilinear",
      half, half
    ),
  ]

  /// Every built-in entry: torchvision's first (the default for `efficientnet_b*`), then timm's.
  static let entries: [WeightsEntry] = {
    let torchvision = torchvisionRows.map { variant, tag, file, crop, resize, interpolation, epsilon in
      WeightsEntry(
        name: "efficientnet_\(variant).\(tag)", model: "efficientnet_\(variant)", source: "torchvision",
        url: torchvisionBase + file, sha256: hashPrefix(of: file), byteSize: nil,
        licence: torchvisionLicence, resolution: crop, resizeSize: resize, interpolation: interpolation,
        mean: imageNetMean, standardDeviation: imageNetDeviation, batchNormEpsilon: epsilon)
    }
    let timm = timmRows.map { model, tag, base, file, size, resize, interpolation, mean, deviation in
      WeightsEntry(
        name: "\(model).\(tag)", model: model, source: "timm", url: base + file, sha256: hashPrefix(of: file),
        byteSize: nil, licence: timmLicence, resolution: size, resizeSize: resize,
        interpolation: interpolation, mean: mean, standardDeviation: deviation, batchNormEpsilon: nil)
    }
    return torchvision + timm
  }()

  /// The hex digits after the last `-` of a file name, before its extension (`x-3dd342df.pth`).
  static func hashPrefix(of fileName: String) -> String? {
    let stem = fileName.split(separator: ".").first.map(String.init) ?? fileName
    guard let dash = stem.lastIndex(of: "-") else { return nil }
    let digits = stem[stem.index(after: dash)...]
    return digits.count >= 8 && digits.allSatisfy(\.isHexDigit) ? String(digits).lowercased() : nil
  }
}
