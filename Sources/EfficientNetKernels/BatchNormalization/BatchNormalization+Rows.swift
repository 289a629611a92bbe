extension BatchNormalization {
  /// `partial[c] += (x[c] − mean[c])²` for one row.
  @inline(__always)
  static func addCenteredSquares(
    _ x: UnsafePointer<Float>, mean: UnsafePointer<Float>, into partial: UnsafeMutablePointer<Float>,
    count: Int
  ) {
    var c = 0
    while c &+ 8 <= count {
      let centered = LaneAccess.load(x + c) - LaneAccess.load(mean + c)
      LaneAccess.store(LaneAccess.load(partial + c).addingProduct(centered, centered), partial + c)
      c &+= 8
    }
    while c < count {
      let centered = x[c] - mean[c]
      partial[c] = partial[c].addingProduct(centered, centered)
      c &+= 1
    }
  }

  /// `partial[c] += dY[c]` and `partial[C + c] += dY[c]·(x[c] − mean[c])·inverse[c]` for one row.
  @inline(__always)
  static func addGradientSums(
    _ dY: UnsafePointer<Float>, _ x: UnsafePointer<Float>, mean: UnsafePointer<Float>,
    inverse: UnsafePointer<Float>, into partial: UnsafeMutablePointer<Float>, count: Int
  ) {
    let second = partial + count
    var c = 0
    while c &+ 8 <= count {
      let gradient = LaneAccess.load(dY + c)
      let normalized = (LaneAccess.load(x + c) - LaneAccess.load(mean + c)) * LaneAccess.load(inverse + c)
      LaneAccess.store(LaneAccess.load(partial + c) + gradient, partial + c)
      LaneAccess.store(LaneAccess.load(second + c).addingProduct(gradient, normalized), second + c)
      c &+= 8
    }
    while c < count {
      let normalized = (x[c] - mean[c]) * inverse[c]
      partial[c] += dY[c]
      second[c] = second[c].addingProduct(dY[c], normalized)
      c &+= 1
    }
  }

  /// `dX[c] (+)= k1[c]·dY[c] + k2[c]·(x[c] − mean[c]) + k3[c]` for one row.
  @inline(__always)
  static func inputGradientRow(
    _ dY: UnsafePointer<Float>, _ x: UnsafePointer<Float>, mean: UnsafePointer<Float>,
    k1: UnsafePointer<Float>, k2: UnsafePointer<Float>, k3: UnsafePointer<Float>,
    into dX: UnsafeMutablePointer<Float>, count: Int, accumulate: Bool
  ) {
    var c = 0
    while c &+ 8 <= count {
      let centered = LaneAccess.load(x + c) - LaneAccess.load(mean + c)
      var value = LaneAccess.load(k3 + c).addingProduct(LaneAccess.load(k2 + c), centered)
      value = value.addingProduct(LaneAccess.load(k1 + c), LaneAccess.load(dY + c))
      if accumulate { value += LaneAccess.load(dX + c) }
      LaneAccess.store(value, dX + c)
      c &+= 8
    }
    while c < count {
      var value = k3[c].addingProduct(k2[c], x[c] - mean[c]).addingProduct(k1[c], dY[c])
      if accumulate { value += dX[c] }
      dX[c] = value
      c &+= 1
    }
  }

  /// `y[m, c] = (x[m, c] − center[c])·factor[c] + shift[c]` over all rows, in parallel; with
  /// `activated`, also `activated[m, c] = activation(y[m, c])` from the same registers.
  static func normalize(
    _ x: UnsafePointer<Float>, rows: Int, channels c: Int, center: UnsafePointer<Float>,
    factor: UnsafePointer<Float>, shift: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
    activation: Activation = .identity, activated: UnsafeMutablePointer<Float>? = nil, pool: ComputePool
  ) {
    let grain = max(1, grainFloats / c)
    pool.parallelRanges(rows, grain: grain) { range in
      let body = NormalizedRows(
        x: x, channels: c, center: center, factor: factor, shift: shift, y: y, activated: activated,
        rows: range)
      if activated == nil { body.run(IdentityFunction.self) } else { activation.withPointwiseFunction(body) }
    }
  }

  /// One range of rows of ``normalize(_:rows:channels:center:factor:shift:into:activation:activated:pool:)``,
  /// with the activation fixed at compile time.
  struct NormalizedRows: PointwiseFunctionBody {
    let x: UnsafePointer<Float>
    let channels: Int
    let center: UnsafePointer<Float>
    let factor: UnsafePointer<Float>
    let shift: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let activated: UnsafeMutablePointer<Float>?
    let rows: Range<Int>

    func run<Function: PointwiseFunction>(_: Function.Type) {
      let c = channels
      for row in rows {
        let (source, destination) = (x + row * c, y + row * c)
        let target = activated.map { $0 + row * c }
        var j = 0
        while j &+ 8 <= c {
          let centered = LaneAccess.load(source + j) - LaneAccess.load(center + j)
          let value = LaneAccess.load(shift + j).addingProduct(centered, LaneAccess.load(factor + j))
          LaneAccess.store(value, destination + j)
          if let target { LaneAccess.store(Function.apply(value), target + j) }
          j &+= 8
        }
        let tail = j
        while j < c {
          destination[j] = shift[j].addingProduct(source[j] - center[j], factor[j])
          j &+= 1
        }
        // The last channels through the vector function too, so every value gets the same bits.
        if let target, tail < c {
          var lanes = SIMD8<Float>()
          for lane in 0..<(c - tail) { lanes[lane] = destination[tail + lane] }
          lanes = Function.apply(lanes)
          for lane in 0..<(c - tail) { target[tail + lane] = lanes[lane] }
        }
      }
    }
  }

  /// `scaleSums[j] += Double(dY[c])·Double(Float((x[c] − mean[c])·inverse[c]))` and
  /// `shiftSums[j] += Double(dY[c])` for `c = channels.lowerBound + j`, one row; eight lanes at a time
  /// with a separate multiply and add, as the scalar form.
  @inline(__always)
  static func addFrozenGradientSums(
    _ dY: UnsafePointer<Float>, _ x: UnsafePointer<Float>, mean: UnsafePointer<Float>,
    inverse: UnsafePointer<Float>, channels: Range<Int>, scaleSums: UnsafeMutablePointer<Double>,
    shiftSums: UnsafeMutablePointer<Double>
  ) {
    let first = channels.lowerBound
    let count = channels.count
    var j = 0
    while j &+ 8 <= count {
      let c = first &+ j
      let gradient = SIMD8<Double>(LaneAccess.load(dY + c))
      let normalized = SIMD8<Double>(
        (LaneAccess.load(x + c) - LaneAccess.load(mean + c)) * LaneAccess.load(inverse + c))
      let scaleLanes = UnsafeMutableRawPointer(scaleSums + j)
      let shiftLanes = UnsafeMutableRawPointer(shiftSums + j)
      scaleLanes.storeBytes(
        of: scaleLanes.loadUnaligned(as: SIMD8<Double>.self) + gradient * normalized, as: SIMD8<Double>.self)
      shiftLanes.storeBytes(
        of: shiftLanes.loadUnaligned(as: SIMD8<Double>.self) + gradient, as: SIMD8<Double>.self)
      j &+= 8
    }
    while j < count {
      let c = first &+ j
      let gradient = Double(dY[c])
      scaleSums[j] += gradient * Double((x[c] - mean[c]) * inverse[c])
      shiftSums[j] += gradient
      j &+= 1
    }
  }

  /// `dX[c] (+)= dY[c]·γ[c]·inverse[c]` (the product taken left to right) for one row.
  @inline(__always)
  static func frozenInputGradientRow(
    _ dY: UnsafePointer<Float>, gamma: UnsafePointer<Float>, inverse: UnsafePointer<Float>,
    into dX: UnsafeMutablePointer<Float>, count: Int, accumulate: Bool
  ) {
    var c = 0
    while c &+ 8 <= count {
      var value = LaneAccess.load(dY + c) * LaneAccess.load(gamma + c) * LaneAccess.load(inverse + c)
      if accumulate { value += LaneAccess.load(dX + c) }
      LaneAccess.store(value, dX + c)
      c &+= 8
    }
    while c < count {
      let value = dY[c] * gamma[c] * inverse[c]
      dX[c] = accumulate ? dX[c] + value : value
      c &+= 1
    }
  }
}
