import EfficientNetDetection
import EfficientNetFiles
import EfficientNetImageIO
import EfficientNetModels
import Foundation
import ONNXSchema
import SwiftProtobuf

/// Export to ONNX: a model as a graph of plain ONNX operators (`Conv` with groups for depthwise and
/// batch norm folded, `Sigmoid` + `Mul` for SiLU, `Clip` for ReLU6, `GlobalAveragePool`, `Flatten`,
/// `Gemm`, `Add`, `Mul`), input `input` NCHW float32 with a dynamic axis named `batch` (or a fixed
/// batch), TF "same" padding as explicit `pads` at a fixed size or `auto_pad = SAME_UPPER` at a
/// dynamic one (never a `Pad` node), and the preprocessing a consumer needs in `metadata_props`.
public enum ONNXExport {
  /// The IR version written with each opset (ONNX's versioning table).
  static func irVersion(opset: Int) -> Int64 {
    switch opset {
    case ...14: return 7
    case 15...18: return 8
    case 19...20: return 9
    default: return 10
    }
  }

  /// `network` as an ONNX model.
  ///
  /// - Parameters:
  ///   - classNames: the names of its classes (stored in the metadata), when known.
  ///   - preprocessing: how its inputs are made (stored in the metadata; the configuration's own
  ///     when nil).
  /// - Throws: ``ONNXExportError`` for an unsupported opset, batch or size.
  public static func classifier(
    _ network: EfficientNet, classNames: [String]?, preprocessing: PreprocessingConfiguration? = nil,
    options: ONNXExportOptions = ONNXExportOptions()
  ) throws -> Data {
    let configuration = network.configuration
    let size = try resolvedSize(options, default: (configuration.resolution, configuration.resolution))
    var graph = ClassifierGraph(network: network, options: options, fixedSize: size)
    let output = graph.build(input: "input")
    let outputWidth = network.layout.classifier?.outputChannels ?? network.architecture.headChannels
    let preprocessing = preprocessing ?? configuration.preprocessing
    var metadata = ExportMetadata.preprocessing(preprocessing, size: size)
    // The whole architecture too (`architecture.*`), so a model that is no named variant reads back.
    for (key, value) in configuration.architectureMetadata { metadata["architecture." + key] = value }
    metadata["model"] = configuration.name
    metadata["task"] = "classification"
    metadata["input_layout"] = "NCHW"
    if let classNames, classNames.count == outputWidth {
      metadata["class_names"] = ExportMetadata.json(classNames)
    }
    return try model(
      graph: graph.builder, name: configuration.name, options: options,
      input: ("input", [batchDimension(options), .fixed(configuration.inputChannels)] + spatial(size)),
      outputs: [(output, [batchDimension(options), .fixed(outputWidth)])], metadata: metadata)
  }

  /// `detector`'s feature network and heads as an ONNX model at a fixed size (the detector's input size
  /// unless `options.size` fixes another): input `input` NCHW, outputs `class_out.0…4` `[N, 9·classes,
  /// H, W]` and `box_out.0…4` `[N, 36, H, W]`, P3 first, as effdet's model returns them; anchors, box
  /// decoding and NMS are not in the graph (the metadata gives the anchor settings a consumer needs).
  /// With `options.decodesBoxes`, the outputs are `boxes` `[N, A, 4]` and `scores` `[N, A, classes]`
  /// instead, decoded against the anchors; NMS is left out either way.
  ///
  /// - Throws: ``ONNXExportError`` for a dynamic size, an unsupported opset or batch.
  public static func detector(
    _ detector: EfficientDet, classNames: [String]?, options: ONNXExportOptions = ONNXExportOptions()
  ) throws -> Data {
    let configuration = detector.configuration
    guard options.size != .dynamic else { throw ONNXExportError.dynamicDetectorSize }
    let size = try resolvedSize(options, default: (configuration.inputHeight, configuration.inputWidth))!
    var graph = DetectorGraph(detector: detector, height: size.height, width: size.width)
    var outputs = graph.build(input: "input")
    let sizes = detector.layout.levelSizes(height: size.height, width: size.width)
    let levels = Array(configuration.levels)
    let anchorsPerPosition = DetectorConfiguration.anchorsPerPosition
    let classChannels = anchorsPerPosition * configuration.classCount
    let outputShapes = (0..<2).flatMap { kind in
      levels.map { level -> [Dimension] in
        [
          batchDimension(options), .fixed(kind == 0 ? classChannels : 4 * anchorsPerPosition),
          .fixed(sizes[level]!.height), .fixed(sizes[level]!.width),
        ]
      }
    }
    var outputShapesUsed = outputShapes
    if options.decodesBoxes {
      let levelCount = levels.count
      let decoded = graph.decode(
        classOutputs: Array(outputs.prefix(levelCount)), boxOutputs: Array(outputs.suffix(levelCount)))
      let anchorCount = levels.reduce(0) { $0 + sizes[$1]!.height * sizes[$1]!.width } * anchorsPerPosition
      outputs = [decoded.boxes, decoded.scores]
      outputShapesUsed = [
        [batchDimension(options), .fixed(anchorCount), .fixed(4)],
        [batchDimension(options), .fixed(anchorCount), .fixed(configuration.classCount)],
      ]
    }
    var metadata: [String: String] = [
      "model": configuration.name, "task": "detection", "input_layout": "NCHW",
      "input_size": "\(size.height)x\(size.width)",
      "mean": ExportMetadata.json(configuration.mean.map(ExportMetadata.decimal)),
      "std": ExportMetadata.json(configuration.standardDeviation.map(ExportMetadata.decimal)),
      "pixel_scale": "1/255",
      "preprocessing":
        "letterbox: scale to fit the input keeping the aspect ratio, pad right and bottom with the mean",
      "min_level": String(configuration.minimumLevel), "max_level": String(configuration.maximumLevel),
      "anchor_scale": String(configuration.anchorScale), "num_scales": String(AnchorGrid.scalesPerOctave),
      "aspect_ratios": ExportMetadata.json(AnchorGrid.aspectRatios.map { [$0.x, $0.y] }),
      "postprocessing": options.decodesBoxes
        ? "boxes [N, anchors, 4] (x1, y1, x2, y2 in input pixels) and scores [N, anchors, classes] (sigmoid); NMS not in the graph"
        : "not in the graph: anchors, box decoding and NMS (efficientnet detect does them)",
    ]
    if let classNames, classNames.count == configuration.classCount {
      metadata["class_names"] = ExportMetadata.json(classNames)
    }
    return try model(
      graph: graph.builder, name: configuration.name, options: options,
      input: ("input", [batchDimension(options), .fixed(3)] + spatial(size)),
      outputs: zip(outputs, outputShapesUsed).map { ($0, $1) }, metadata: metadata)
  }

  /// Writes `data` to `url` atomically.
  public static func write(_ data: Data, to url: URL) throws {
    try AtomicFile.write([data], to: url)
  }

  // MARK: - Parts

  /// A dimension of a graph input or output.
  enum Dimension {
    case fixed(Int)
    case named(String)
  }

  static func batchDimension(_ options: ONNXExportOptions) -> Dimension {
    if case .fixed(let count) = options.batch { return .fixed(count) }
    return .named("batch")
  }

  static func spatial(_ size: (height: Int, width: Int)?) -> [Dimension] {
    size.map { [.fixed($0.height), .fixed($0.width)] } ?? [.named("height"), .named("width")]
  }

  /// The fixed size the options ask for (the model's own by default), nil for a dynamic one.
  static func resolvedSize(_ options: ONNXExportOptions, default size: (Int, Int)) throws -> (
    height: Int, width: Int
  )? {
    guard ONNXExportOptions.supportedOpsets.contains(options.opset) else {
      throw ONNXExportError.unsupportedOpset(options.opset)
    }
    if case .fixed(let count) = options.batch, count < 1 { throw ONNXExportError.invalidBatch(count) }
    switch options.size {
    case nil: return (size.0, size.1)
    case .dynamic?: return nil
    case .fixed(let height, let width)?:
      guard height >= 1, width >= 1, height <= 16384, width <= 16384 else {
        throw ONNXExportError.invalidSize(height: height, width: width)
      }
      return (height, width)
    }
  }

  /// The model message around `graph`, serialized.
  static func model(
    graph builder: ONNXGraphBuilder, name: String, options: ONNXExportOptions,
    input: (name: String, shape: [Dimension]), outputs: [(name: String, shape: [Dimension])],
    metadata: [String: String]
  ) throws -> Data {
    var graph = Onnx_GraphProto()
    graph.name = name
    graph.node = builder.nodes
    graph.initializer = builder.initializers
    graph.input = [valueInfo(input.name, input.shape)]
    graph.output = outputs.map { valueInfo($0.name, $0.shape) }
    var model = Onnx_ModelProto()
    model.irVersion = irVersion(opset: options.opset)
    var opset = Onnx_OperatorSetIdProto()
    opset.domain = ""
    opset.version = Int64(options.opset)
    model.opsetImport = [opset]
    model.producerName = "swift-efficientnet"
    model.producerVersion = "1"
    model.graph = graph
    model.metadataProps = metadata.keys.sorted().map { key in
      var entry = Onnx_StringStringEntryProto()
      entry.key = key
      entry.value = metadata[key]!
      return entry
    }
    return try model.serializedData()
  }

  static func valueInfo(_ name: String, _ shape: [Dimension]) -> Onnx_ValueInfoProto {
    var tensor = Onnx_TypeProto.Tensor()
    tensor.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
    var tensorShape = Onnx_TensorShapeProto()
    tensorShape.dim = shape.map { dimension in
      var entry = Onnx_TensorShapeProto.Dimension()
      switch dimension {
      case .fixed(let value): entry.dimValue = Int64(value)
      case .named(let name): entry.dimParam = name
      }
      return entry
    }
    tensor.shape = tensorShape
    var type = Onnx_TypeProto()
    type.tensorType = tensor
    var info = Onnx_ValueInfoProto()
    info.name = name
    info.type = type
    return info
  }
}

/// Why a model could not be exported.
public enum ONNXExportError: Error, Equatable, CustomStringConvertible {
  /// An opset outside ``ONNXExportOptions/supportedOpsets``.
  case unsupportedOpset(Int)
  /// A fixed batch below 1.
  case invalidBatch(Int)
  /// A fixed size outside 1...16384.
  case invalidSize(height: Int, width: Int)
  /// A detector asked for at a dynamic size.
  case dynamicDetectorSize

  public var description: String {
    switch self {
    case .unsupportedOpset(let opset):
      return
        "--opset \(opset): this exporter writes opsets \(ONNXExportOptions.supportedOpsets.lowerBound) to "
        + "\(ONNXExportOptions.supportedOpsets.upperBound)"
    case .invalidBatch(let count): return "--batch \(count): give dynamic or a count of at least 1"
    case .invalidSize(let height, let width):
      return "--size \(height)x\(width): height and width must be 1 to 16384"
    case .dynamicDetectorSize:
      return
        "--size dynamic: detectors export at a fixed size (their upsampling targets exact level sizes); give HxW"
    }
  }
}
