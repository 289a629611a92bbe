/// What running a network will hold in memory, estimated from its shapes alone, before anything is
/// allocated: the tool compares it with the memory the machine has and refuses, with the figure, a
/// model, resolution or batch that would not fit.
public struct MemoryEstimate: Equatable, Sendable {
  /// Weights, and for training their gradients and two optimizer moments.
  public var parameterBytes: Int
  /// Activations (and, for training, what the backward pass keeps and writes).
  public var activationBytes: Int
  /// The sum of both.
  public var totalBytes: Int { parameterBytes + activationBytes }
}

extension Architecture {
  /// Estimates the memory of one pass over `batch` images of `height`×`width`.
  ///
  /// Inference keeps the weights twice (as loaded and packed) and, per image, the widest block's input,
  /// expansion, depthwise output and output twice over (the engine's ping-pong buffers). Training keeps
  /// four copies of the weights (value, gradient, two moments) and every block's stored activations
  /// (input, expansion before and after its activation, depthwise before and after, the gated output,
  /// the projection before and after batch norm), plus the widest gradient buffers. The figures sit
  /// above what the engine and the training graph then allocate; arithmetic saturates instead of
  /// trapping.
  public func memoryEstimate(batch: Int, height: Int, width: Int, training: Bool) -> MemoryEstimate {
    func product(_ values: Int...) -> Int {
      values.reduce(1) { partial, value in
        let (result, overflow) = partial.multipliedReportingOverflow(by: value)
        return overflow ? Int.max : result
      }
    }
    func sum(_ a: Int, _ b: Int) -> Int {
      let (result, overflow) = a.addingReportingOverflow(b)
      return overflow ? Int.max : result
    }
    var h = outputSize(height, kernel: 3, stride: 2)
    var w = outputSize(width, kernel: 3, stride: 2)
    let inputPixels = product(height, width, configuration.inputChannels)
    var widest = product(h, w, stemChannels)
    var stored = sum(inputPixels, product(3, h, w, stemChannels))
    for block in blocks {
      let before = product(h, w)
      h = outputSize(h, kernel: block.kernelSize, stride: block.stride)
      w = outputSize(w, kernel: block.kernelSize, stride: block.stride)
      let after = product(h, w)
      let input = product(before, block.inputChannels)
      let expanded = block.hasExpansion ? product(before, block.expandedChannels) : 0
      let depthwise = product(after, block.expandedChannels)
      let output = product(after, block.outputChannels)
      widest = max(widest, sum(sum(input, product(2, expanded)), sum(depthwise, output)))
      stored = sum(
        stored, sum(sum(input, product(3, expanded)), sum(product(3, depthwise), product(2, output))))
    }
    let last = blocks.last?.outputChannels ?? stemChannels
    let headPixels = product(h, w, headChannels)
    widest = max(widest, sum(product(h, w, last), headPixels))
    stored = sum(stored, product(3, headPixels))
    let parameters = cost(height: height, width: width).parameters
    if training {
      let activations = product(4, batch, sum(stored, product(2, widest)))
      return MemoryEstimate(parameterBytes: product(16, parameters), activationBytes: activations)
    }
    let activations = product(4, batch, sum(inputPixels, product(2, widest)))
    return MemoryEstimate(parameterBytes: product(8, parameters), activationBytes: activations)
  }
}
