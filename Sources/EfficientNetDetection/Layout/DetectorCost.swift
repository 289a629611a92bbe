import EfficientNetModels

extension DetectorLayout {
  /// The spatial size of each pyramid level for an input of `height`×`width`: every stride-2 step
  /// halves with ceiling (TF "same" and PyTorch's symmetric padding agree on this).
  public func levelSizes(height: Int, width: Int) -> [Int: (height: Int, width: Int)] {
    var sizes: [Int: (height: Int, width: Int)] = [:]
    var (h, w) = (height, width)
    for level in 1...configuration.maximumLevel {
      (h, w) = ((h + 1) / 2, (w + 1) / 2)
      if level >= configuration.minimumLevel { sizes[level] = (h, w) }
    }
    return sizes
  }

  /// Trainable parameters and multiply-accumulates of one image at `height`×`width` (the
  /// configuration's input size when omitted). Batch norm, fusion, pooling and resizing are not
  /// multiply-accumulates, as for the classifiers.
  public func cost(height: Int? = nil, width: Int? = nil) -> ModelCost {
    let (height, width) = (height ?? configuration.inputHeight, width ?? configuration.inputWidth)
    let parameters = self.parameters.filter(\.isTrainable).reduce(0) { $0 + $1.elementCount }
    let architecture = backbone.architecture
    let sizes = levelSizes(height: height, width: width)
    // The backbone up to its last block: its full count less the head convolution (at stride 32).
    var macs = architecture.cost(height: height, width: width).multiplyAccumulates
    let last = sizes[5]!
    macs -= last.height * last.width * backbone.head.inputChannels * backbone.head.outputChannels
    for layer in pyramidAndHeadLayers {
      for level in layer.levels {
        let size = sizes[level]!
        macs += size.height * size.width * layer.multiplyAccumulatesPerPosition
      }
    }
    return ModelCost(parameters: parameters, multiplyAccumulates: macs)
  }

  /// The number of anchors at `height`×`width`: 9 per position of every level.
  public func anchorCount(height: Int? = nil, width: Int? = nil) -> Int {
    levelSizes(height: height ?? configuration.inputHeight, width: width ?? configuration.inputWidth).values
      .reduce(0) { $0 + $1.height * $1.width * DetectorConfiguration.anchorsPerPosition }
  }
}
