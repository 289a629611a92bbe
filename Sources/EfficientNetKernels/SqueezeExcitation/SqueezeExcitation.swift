/// The squeeze-and-excitation gate of an MBConv block: two small fully connected layers on the
/// per-image channel means.
public enum SqueezeExcitation {
  /// Computes `gate = sigmoid(E · act(R · (scale · pooled) + bR) + bE)` for every image.
  ///
  /// - Parameters:
  ///   - pooled: `[N, C]` channel means (or sums, with `inputScale = 1/(H·W)`; see
  ///     ``DepthwiseConvolution/convolve(input:batch:channels:geometry:weights:bias:activation:output:channelSums:pool:)``).
  ///   - batch: N.
  ///   - channels: C.
  ///   - reducedChannels: R, the width of the bottleneck.
  ///   - reduceWeights: `[R, C]` (PyTorch `conv_reduce.weight` without its 1×1 axes).
  ///   - reduceBias: `[R]`, or `nil` for none.
  ///   - activation: the bottleneck's activation (SiLU in EfficientNet, ReLU in some variants).
  ///   - expandWeights: `[C, R]` (PyTorch `conv_expand.weight`).
  ///   - expandBias: `[C]`, or `nil` for none.
  ///   - inputScale: multiplies `pooled` first (1 when it already holds means).
  ///   - gate: `[N, C]`, receives values in (0, 1).
  ///   - pool: the threads to use (one task per image).
  public static func gate(
    pooled: UnsafeBufferPointer<Float>, batch: Int, channels: Int, reducedChannels: Int,
    reduceWeights: UnsafeBufferPointer<Float>, reduceBias: UnsafeBufferPointer<Float>?,
    activation: Activation, expandWeights: UnsafeBufferPointer<Float>,
    expandBias: UnsafeBufferPointer<Float>?, inputScale: Float = 1,
    gate: UnsafeMutableBufferPointer<Float>, pool: ComputePool = .shared
  ) {
    let (c, r) = (channels, reducedChannels)
    precondition(c >= 1 && r >= 1, "channels and reduced channels must be at least 1")
    precondition(pooled.count == batch * c, "pooled must be [N, C]")
    precondition(reduceWeights.count == r * c, "reduce weights must be [R, C]")
    precondition(reduceBias.map { $0.count == r } ?? true, "reduce bias must be [R]")
    precondition(expandWeights.count == c * r, "expand weights must be [C, R]")
    precondition(expandBias.map { $0.count == c } ?? true, "expand bias must be [C]")
    precondition(gate.count == batch * c, "gate must be [N, C]")
    guard let pooledBase = pooled.baseAddress, let reduceBase = reduceWeights.baseAddress,
      let expandBase = expandWeights.baseAddress, let gateBase = gate.baseAddress
    else { return }
    pool.parallelFor(batch) { image in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: r) { hidden in
        guard let hiddenBase = hidden.baseAddress else { return }
        let means = pooledBase + image * c
        for unit in 0..<r {
          let sum = dot(reduceBase + unit * c, means, count: c) * inputScale
          hiddenBase[unit] = (reduceBias?[unit] ?? 0) + sum
        }
        activation.withPointwiseFunction(
          ActivationPass(values: hiddenBase, pixels: 1, channels: r, sums: nil))
        let row = gateBase + image * c
        for channel in 0..<c {
          row[channel] = (expandBias?[channel] ?? 0) + dot(expandBase + channel * r, hiddenBase, count: r)
        }
        Activation.sigmoid.withPointwiseFunction(
          ActivationPass(values: row, pixels: 1, channels: c, sums: nil))
      }
    }
  }

  /// `Σ a[i]·b[i]` with four eight-lane accumulators.
  private static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var (s0, s1, s2, s3) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
    var index = 0
    while index &+ 32 <= count {
      s0 = s0.addingProduct(LaneAccess.load(a + index), LaneAccess.load(b + index))
      s1 = s1.addingProduct(LaneAccess.load(a + (index &+ 8)), LaneAccess.load(b + (index &+ 8)))
      s2 = s2.addingProduct(LaneAccess.load(a + (index &+ 16)), LaneAccess.load(b + (index &+ 16)))
      s3 = s3.addingProduct(LaneAccess.load(a + (index &+ 24)), LaneAccess.load(b + (index &+ 24)))
      index &+= 32
    }
    while index &+ 8 <= count {
      s0 = s0.addingProduct(LaneAccess.load(a + index), LaneAccess.load(b + index))
      index &+= 8
    }
    var total = ((s0 + s1) + (s2 + s3)).sum()
    while index < count {
      total = total.addingProduct(a[index], b[index])
      index &+= 1
    }
    return total
  }

  /// The naive twin of ``gate(pooled:batch:channels:reducedChannels:reduceWeights:reduceBias:activation:expandWeights:expandBias:inputScale:gate:pool:)``.
  public static func gateReference(
    pooled: UnsafeBufferPointer<Float>, batch: Int, channels: Int, reducedChannels: Int,
    reduceWeights: UnsafeBufferPointer<Float>, reduceBias: UnsafeBufferPointer<Float>?,
    activation: Activation, expandWeights: UnsafeBufferPointer<Float>,
    expandBias: UnsafeBufferPointer<Float>?, inputScale: Float = 1,
    gate: UnsafeMutableBufferPointer<Float>
  ) {
    let (c, r) = (channels, reducedChannels)
    precondition(pooled.count == batch * c && gate.count == batch * c, "pooled and gate must be [N, C]")
    precondition(reduceWeights.count == r * c && expandWeights.count == c * r, "weights: [R, C], [C, R]")
    for image in 0..<batch {
      var hidden = [Float](repeating: 0, count: r)
      for unit in 0..<r {
        var sum = reduceBias?[unit] ?? 0
        for channel in 0..<c {
          sum += reduceWeights[unit * c + channel] * (pooled[image * c + channel] * inputScale)
        }
        hidden[unit] = activation.apply(sum)
      }
      for channel in 0..<c {
        var sum = expandBias?[channel] ?? 0
        for unit in 0..<r { sum += expandWeights[channel * r + unit] * hidden[unit] }
        gate[image * c + channel] = Activation.sigmoid.apply(sum)
      }
    }
  }
}
