extension DepthwiseConvolutionBackward {
  /// Gathers the input gradient of one pixel: `dX[c] (+)= Σ_{r < rowCount, j < columnCount}
  /// dY(r, j)[c] · W(r, j)[c]` over the taps that read it, with the output gradient and the packed
  /// `[KH, KW, C]` weights of tap `(r, j)` at `source + r·sourceRowStep + j·sourceColumnStep` and
  /// `weights + r·weightRowStep + j·weightColumnStep`.
  ///
  /// Channels go 32 at a time in four independent sums (so the fused multiply-adds are not waiting on
  /// each other), then 8 at a time, then one by one; each sum is stored once.
  struct PixelGather {
    let source: UnsafePointer<Float>
    let weights: UnsafePointer<Float>
    let rowCount: Int
    let columnCount: Int
    let sourceRowStep: Int
    let sourceColumnStep: Int
    let weightRowStep: Int
    let weightColumnStep: Int

    /// Writes (or adds) the gathered sums of all `channels` into `target[0..<channels]`.
    @inline(__always)
    func run(into target: UnsafeMutablePointer<Float>, channels: Int, accumulate: Bool) {
      var c = 0
      while c &+ 32 <= channels {
        let zero = SIMD8<Float>()
        var (a0, a1, a2, a3) = (zero, zero, zero, zero)
        if accumulate {
          a0 = LaneAccess.load(target + c)
          a1 = LaneAccess.load(target + (c &+ 8))
          a2 = LaneAccess.load(target + (c &+ 16))
          a3 = LaneAccess.load(target + (c &+ 24))
        }
        var (rowSource, rowWeights) = (source + c, weights + c)
        for _ in 0..<rowCount {
          var (s, w) = (rowSource, rowWeights)
          for _ in 0..<columnCount {
            a0 = a0.addingProduct(LaneAccess.load(s), LaneAccess.load(w))
            a1 = a1.addingProduct(LaneAccess.load(s + 8), LaneAccess.load(w + 8))
            a2 = a2.addingProduct(LaneAccess.load(s + 16), LaneAccess.load(w + 16))
            a3 = a3.addingProduct(LaneAccess.load(s + 24), LaneAccess.load(w + 24))
            s += sourceColumnStep
            w += weightColumnStep
          }
          rowSource += sourceRowStep
          rowWeights += weightRowStep
        }
        LaneAccess.store(a0, target + c)
        LaneAccess.store(a1, target + (c &+ 8))
        LaneAccess.store(a2, target + (c &+ 16))
        LaneAccess.store(a3, target + (c &+ 24))
        c &+= 32
      }
      while c &+ 8 <= channels {
        var sum = accumulate ? LaneAccess.load(target + c) : SIMD8<Float>()
        var (rowSource, rowWeights) = (source + c, weights + c)
        for _ in 0..<rowCount {
          var (s, w) = (rowSource, rowWeights)
          for _ in 0..<columnCount {
            sum = sum.addingProduct(LaneAccess.load(s), LaneAccess.load(w))
            s += sourceColumnStep
            w += weightColumnStep
          }
          rowSource += sourceRowStep
          rowWeights += weightRowStep
        }
        LaneAccess.store(sum, target + c)
        c &+= 8
      }
      while c < channels {
        var sum: Float = accumulate ? target[c] : 0
        for r in 0..<rowCount {
          for j in 0..<columnCount {
            sum = sum.addingProduct(
              source[r * sourceRowStep + j * sourceColumnStep + c],
              weights[r * weightRowStep + j * weightColumnStep + c])
          }
        }
        target[c] = sum
        c &+= 1
      }
    }
  }
}
