/// Applies an activation in place to `[pixels, channels]` values and, optionally, adds each channel's
/// activated values to `sums[channel]`.
///
/// The activation runs as one flat loop over all values and the sums as a second pass (the values are
/// in L1 by then): with the sum in the same loop, the compiler stopped inlining the SiLU vector path.
struct ActivationPass: PointwiseFunctionBody {
  var values: UnsafeMutablePointer<Float>
  var pixels: Int
  var channels: Int
  var sums: UnsafeMutablePointer<Float>?

  func run<Function: PointwiseFunction>(_ function: Function.Type) {
    if Function.activation != .identity {
      let count = pixels &* channels
      var index = 0
      while index &+ 8 <= count {
        LaneAccess.store(Function.apply(LaneAccess.load(values + index)), values + index)
        index &+= 8
      }
      while index < count {
        values[index] = Function.apply(values[index])
        index &+= 1
      }
    }
    guard let sums else { return }
    var pixel = values
    for _ in 0..<pixels {
      var channel = 0
      while channel &+ 8 <= channels {
        LaneAccess.store(LaneAccess.load(sums + channel) + LaneAccess.load(pixel + channel), sums + channel)
        channel &+= 8
      }
      while channel < channels {
        sums[channel] += pixel[channel]
        channel &+= 1
      }
      pixel += channels
    }
  }
}
