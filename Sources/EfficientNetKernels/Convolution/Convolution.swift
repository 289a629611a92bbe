/// General 2-D convolution over NHWC activations: any kernel size, stride, padding and group count,
/// with bias and activation fused. EfficientNet uses it for the 3×3 stride-2 stem (3 → 32 channels);
/// 1×1 convolutions belong to GEMM and depthwise ones to ``DepthwiseConvolution``.
///
/// The fast path computes one output pixel at a time and vectorizes over output channels: each input
/// value is broadcast and multiplied into up to 32 output channels of weights at once. Kernel taps
/// that fall in the padding are clipped once per pixel, so the tap loops carry no bounds checks.
public enum Convolution {
  /// The number of floats ``packWeights(fromPyTorch:outputChannels:inputChannels:groups:kernelHeight:kernelWidth:)``
  /// returns: `groups · KH · KW · (Cin/groups) · roundUp(Cout/groups, 8)`.
  public static func packedWeightCount(
    outputChannels: Int, inputChannels: Int, groups: Int, kernelHeight: Int, kernelWidth: Int
  ) -> Int {
    let outputPerGroup = outputChannels / groups
    let paddedOutput = (outputPerGroup + 7) / 8 * 8
    return groups * kernelHeight * kernelWidth * (inputChannels / groups) * paddedOutput
  }

  /// Repacks PyTorch weights `[Cout, Cin/groups, KH, KW]` into
  /// `[groups, KH, KW, Cin/groups, roundUp(Cout/groups, 8)]`: for each tap and input channel, a group's
  /// output channels are contiguous (zero-padded to a multiple of 8) so they load as vectors.
  ///
  /// - Parameters:
  ///   - weights: `Cout · Cin/groups · KH · KW` floats in PyTorch order.
  ///   - outputChannels: Cout, a multiple of `groups`.
  ///   - inputChannels: Cin, a multiple of `groups`.
  ///   - groups: the number of channel groups (1 for an ordinary convolution).
  ///   - kernelHeight: KH.
  ///   - kernelWidth: KW.
  /// - Returns: the packed weights, ``packedWeightCount(outputChannels:inputChannels:groups:kernelHeight:kernelWidth:)`` floats.
  public static func packWeights(
    fromPyTorch weights: UnsafeBufferPointer<Float>, outputChannels: Int, inputChannels: Int,
    groups: Int, kernelHeight: Int, kernelWidth: Int
  ) -> [Float] {
    precondition(groups >= 1, "groups must be at least 1")
    precondition(
      outputChannels % groups == 0 && inputChannels % groups == 0 && outputChannels >= groups
        && inputChannels >= groups,
      "groups \(groups) must divide Cin \(inputChannels) and Cout \(outputChannels)")
    let inputPerGroup = inputChannels / groups
    precondition(
      weights.count == outputChannels * inputPerGroup * kernelHeight * kernelWidth,
      "weights must be [Cout, Cin/groups, KH, KW]")
    var packed = [Float](
      repeating: 0,
      count: packedWeightCount(
        outputChannels: outputChannels, inputChannels: inputChannels, groups: groups,
        kernelHeight: kernelHeight, kernelWidth: kernelWidth))
    packed.withUnsafeMutableBufferPointer { packed in
      packWeights(
        fromPyTorch: weights, outputChannels: outputChannels, inputChannels: inputChannels, groups: groups,
        kernelHeight: kernelHeight, kernelWidth: kernelWidth, into: packed)
    }
    return packed
  }

  /// Packs into caller-provided memory (no allocation), overwriting all of it (padding lanes become 0).
  ///
  /// - Parameter packed: ``packedWeightCount(outputChannels:inputChannels:groups:kernelHeight:kernelWidth:)``
  ///   floats.
  public static func packWeights(
    fromPyTorch weights: UnsafeBufferPointer<Float>, outputChannels: Int, inputChannels: Int,
    groups: Int, kernelHeight: Int, kernelWidth: Int, into packed: UnsafeMutableBufferPointer<Float>
  ) {
    let outputPerGroup = outputChannels / groups
    let inputPerGroup = inputChannels / groups
    let paddedOutput = (outputPerGroup + 7) / 8 * 8
    precondition(
      packed.count
        == packedWeightCount(
          outputChannels: outputChannels, inputChannels: inputChannels, groups: groups,
          kernelHeight: kernelHeight, kernelWidth: kernelWidth), "packed buffer has the wrong size")
    packed.update(repeating: 0)
    for outputChannel in 0..<outputChannels {
      let group = outputChannel / outputPerGroup
      let lane = outputChannel % outputPerGroup
      for inputChannel in 0..<inputPerGroup {
        for ky in 0..<kernelHeight {
          for kx in 0..<kernelWidth {
            let source =
              ((outputChannel * inputPerGroup + inputChannel) * kernelHeight + ky) * kernelWidth + kx
            let tap = ((group * kernelHeight + ky) * kernelWidth + kx) * inputPerGroup + inputChannel
            packed[tap * paddedOutput + lane] = weights[source]
          }
        }
      }
    }
  }

  /// Convolves, adds the bias and applies the activation.
  ///
  /// - Parameters:
  ///   - input: `[N, H, W, Cin]`, with H and W from `geometry`.
  ///   - batch: N.
  ///   - inputChannels: Cin.
  ///   - outputChannels: Cout.
  ///   - groups: channel groups; input channels `g·Cin/groups ..< (g+1)·Cin/groups` feed output channels
  ///     `g·Cout/groups ..< (g+1)·Cout/groups`.
  ///   - geometry: kernel size, stride and padding.
  ///   - weights: packed by ``packWeights(fromPyTorch:outputChannels:inputChannels:groups:kernelHeight:kernelWidth:)``.
  ///   - bias: `[Cout]`, or `nil` for none.
  ///   - activation: applied to every output value after the bias.
  ///   - output: `[N, OH, OW, Cout]`; must not overlap `input`.
  ///   - pool: the threads to use (the work is split over images × output rows).
  public static func convolve(
    input: UnsafeBufferPointer<Float>, batch: Int, inputChannels: Int, outputChannels: Int, groups: Int,
    geometry: ConvolutionGeometry, weights: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?,
    activation: Activation, output: UnsafeMutableBufferPointer<Float>, pool: ComputePool = .shared
  ) {
    let g = geometry
    precondition(batch >= 1 && groups >= 1, "batch and groups must be at least 1")
    precondition(
      outputChannels % groups == 0 && inputChannels % groups == 0 && outputChannels >= groups
        && inputChannels >= groups,
      "groups \(groups) must divide Cin \(inputChannels) and Cout \(outputChannels)")
    precondition(
      input.count == batch * g.inputHeight * g.inputWidth * inputChannels, "input must be [N,H,W,Cin]")
    precondition(
      weights.count
        == packedWeightCount(
          outputChannels: outputChannels, inputChannels: inputChannels, groups: groups,
          kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth),
      "weights must come from Convolution.packWeights")
    precondition(bias.map { $0.count == outputChannels } ?? true, "bias must be [Cout]")
    precondition(
      output.count == batch * g.outputHeight * g.outputWidth * outputChannels,
      "output must be [N,OH,OW,Cout]")
    guard let inputBase = input.baseAddress, let weightBase = weights.baseAddress,
      let outputBase = output.baseAddress
    else { return }
    let pixels = ConvolutionPixels(
      input: inputBase, weights: weightBase, bias: bias?.baseAddress, output: outputBase,
      inputChannels: inputChannels, outputChannels: outputChannels, groups: groups, geometry: g)
    // With one group, pairs of columns whose kernel columns are all inside the input share loads.
    let interior = groups == 1 ? g.interiorColumns : 0..<0
    pool.parallelRanges(batch * g.outputHeight) { rows in
      for imageRow in rows {
        let image = imageRow / g.outputHeight
        let outputRow = imageRow % g.outputHeight
        var column = 0
        while column < g.outputWidth {
          if interior.contains(column) && interior.contains(column + 1) {
            pixels.computePair(image: image, row: outputRow, column: column)
            column += 2
          } else {
            pixels.compute(image: image, row: outputRow, column: column)
            column += 1
          }
        }
        let rowValues = outputBase + imageRow * g.outputWidth * outputChannels
        activation.withPointwiseFunction(
          ActivationPass(values: rowValues, pixels: g.outputWidth, channels: outputChannels, sums: nil))
      }
    }
  }

  /// The naive twin of the fast kernel: nested loops over PyTorch-layout weights.
  ///
  /// - Parameters:
  ///   - input: `[N, H, W, Cin]`.
  ///   - batch: N.
  ///   - inputChannels: Cin.
  ///   - outputChannels: Cout.
  ///   - groups: channel groups.
  ///   - geometry: kernel size, stride and padding.
  ///   - pyTorchWeights: `[Cout, Cin/groups, KH, KW]`.
  ///   - bias: `[Cout]`, or `nil` for none.
  ///   - activation: applied after the bias.
  ///   - output: `[N, OH, OW, Cout]`.
  public static func convolveReference(
    input: UnsafeBufferPointer<Float>, batch: Int, inputChannels: Int, outputChannels: Int, groups: Int,
    geometry: ConvolutionGeometry, pyTorchWeights: UnsafeBufferPointer<Float>,
    bias: UnsafeBufferPointer<Float>?, activation: Activation, output: UnsafeMutableBufferPointer<Float>
  ) {
    let g = geometry
    let (height, width) = (g.inputHeight, g.inputWidth)
    let inputPerGroup = inputChannels / groups
    let outputPerGroup = outputChannels / groups
    precondition(input.count == batch * height * width * inputChannels, "input must be [N,H,W,Cin]")
    precondition(
      pyTorchWeights.count == outputChannels * inputPerGroup * g.kernelHeight * g.kernelWidth,
      "weights must be [Cout, Cin/groups, KH, KW]")
    precondition(
      output.count == batch * g.outputHeight * g.outputWidth * outputChannels, "output: [N,OH,OW,Cout]")
    for image in 0..<batch {
      for outputRow in 0..<g.outputHeight {
        for outputColumn in 0..<g.outputWidth {
          for outputChannel in 0..<outputChannels {
            let group = outputChannel / outputPerGroup
            var value = bias?[outputChannel] ?? 0
            for ky in 0..<g.kernelHeight {
              for kx in 0..<g.kernelWidth {
                let row = outputRow * g.strideHeight - g.padTop + ky
                let column = outputColumn * g.strideWidth - g.padLeft + kx
                if row < 0 || row >= height || column < 0 || column >= width { continue }
                for inputChannel in 0..<inputPerGroup {
                  let x = input[
                    ((image * height + row) * width + column) * inputChannels + group * inputPerGroup
                      + inputChannel]
                  let w = pyTorchWeights[
                    ((outputChannel * inputPerGroup + inputChannel) * g.kernelHeight + ky) * g.kernelWidth
                      + kx]
                  value += x * w
                }
              }
            }
            let pixel = (image * g.outputHeight + outputRow) * g.outputWidth + outputColumn
            output[pixel * outputChannels + outputChannel] = activation.apply(value)
          }
        }
      }
    }
  }
}
