extension GEMM {
  /// What happens to finished dot products on their way to memory: bias, activation, residual, store.
  ///
  /// `C[m, n] = activation(sum + bias[n]) + residual[m, n]`.
  struct Epilogue {
    /// `bias[N]`, or `nil`.
    let bias: UnsafePointer<Float>?
    /// The nonlinearity applied after the bias.
    let activation: Activation
    /// `R[M, N]`, or `nil`.
    let residual: UnsafePointer<Float>?
    /// The distance in floats between rows of `R`.
    let residualRowStride: Int
    /// `C[M, N]`.
    let output: UnsafeMutablePointer<Float>
    /// The distance in floats between rows of `C`.
    let outputRowStride: Int
    /// `N`: columns at or past it are never written.
    let columnCount: Int

    /// `bias[column..<column + 8]`, or zeros without a bias.
    @inline(__always)
    func biasVector(at column: Int) -> SIMD8<Float> {
      guard let bias else { return SIMD8<Float>() }
      return load8(bias + column)
    }

    /// Finishes and stores `C[row, column..<column + 16]` from its sums; all 16 columns are inside `C`.
    @inline(__always)
    func storeRow<Nonlinearity: EpilogueActivation>(
      _ first: SIMD8<Float>, _ second: SIMD8<Float>, bias firstBias: SIMD8<Float>, _ secondBias: SIMD8<Float>,
      row: Int, column: Int, _: Nonlinearity.Type
    ) {
      var firstValue = Nonlinearity.activation.apply(first + firstBias)
      var secondValue = Nonlinearity.activation.apply(second + secondBias)
      if let residual {
        let source = residual + (row &* residualRowStride &+ column)
        firstValue += load8(source)
        secondValue += load8(source + 8)
      }
      let destination = UnsafeMutableRawPointer(output + (row &* outputRowStride &+ column))
      destination.storeBytes(of: firstValue, as: SIMD8<Float>.self)
      destination.storeBytes(of: secondValue, toByteOffset: 32, as: SIMD8<Float>.self)
    }

    /// Finishes and stores `C[row, column..<column + 8]` from its sums; all 8 columns are inside `C`.
    @inline(__always)
    func storeRow<Nonlinearity: EpilogueActivation>(
      _ sums: SIMD8<Float>, bias: SIMD8<Float>, row: Int, column: Int, _: Nonlinearity.Type
    ) {
      var value = Nonlinearity.activation.apply(sums + bias)
      if let residual {
        value += load8(residual + (row &* residualRowStride &+ column))
      }
      UnsafeMutableRawPointer(output + (row &* outputRowStride &+ column)).storeBytes(
        of: value, as: SIMD8<Float>.self)
    }

    /// Finishes a tile of sums into `C[firstRow + r, firstColumn + j]` for `r < rowCount`,
    /// `j < width` and `firstColumn + j < N`.
    ///
    /// - Parameters:
    ///   - tile: the sums, `tile[r · 16 + j]`.
    ///   - width: 16 or 8.
    @inline(never)
    func finish(
      _ tile: UnsafePointer<Float>, rowCount: Int, firstRow: Int, firstColumn: Int, width: Int
    ) {
      let vectorCount = width / 8
      if firstColumn + width > columnCount {
        finishEdge(tile, rowCount: rowCount, firstRow: firstRow, firstColumn: firstColumn, width: width)
        return
      }
      var biasVectors = (SIMD8<Float>(), SIMD8<Float>())
      if let bias {
        biasVectors.0 = load8(bias + firstColumn)
        if vectorCount == 2 { biasVectors.1 = load8(bias + firstColumn + 8) }
      }
      var destination = output + firstRow * outputRowStride + firstColumn
      var skip = residual.map { $0 + firstRow * residualRowStride + firstColumn }
      var sums = tile
      for _ in 0..<rowCount {
        var first = activation.apply(load8(sums) + biasVectors.0)
        var second = SIMD8<Float>()
        if vectorCount == 2 { second = activation.apply(load8(sums + 8) + biasVectors.1) }
        if let source = skip {
          first += load8(source)
          if vectorCount == 2 { second += load8(source + 8) }
          skip = source + residualRowStride
        }
        UnsafeMutableRawPointer(destination).storeBytes(of: first, as: SIMD8<Float>.self)
        if vectorCount == 2 {
          UnsafeMutableRawPointer(destination + 8).storeBytes(of: second, as: SIMD8<Float>.self)
        }
        destination += outputRowStride
        sums += panelWidth
      }
    }

    /// ``finish(_:rowCount:firstRow:firstColumn:width:)`` for a tile that crosses column `N`: one
    /// value at a time.
    @inline(never)
    func finishEdge(
      _ tile: UnsafePointer<Float>, rowCount: Int, firstRow: Int, firstColumn: Int, width: Int
    ) {
      let columns = min(width, columnCount - firstColumn)
      for r in 0..<rowCount {
        let row = firstRow + r
        for j in 0..<columns {
          let column = firstColumn + j
          var value = activation.apply(tile[r * panelWidth + j] + (bias?[column] ?? 0))
          if let residual { value += residual[row * residualRowStride + column] }
          output[row * outputRowStride + column] = value
        }
      }
    }
  }
}

/// An activation fixed at compile time, so that the tile loops are specialized per nonlinearity and
/// their epilogue holds no switch.
protocol EpilogueActivation {
  /// The activation this type stands for.
  static var activation: Activation { get }
}

extension GEMM {
  /// ``Activation/identity`` as a type.
  enum IdentityActivation: EpilogueActivation {
    static var activation: Activation { .identity }
  }
  /// ``Activation/relu`` as a type.
  enum ReLUActivation: EpilogueActivation {
    static var activation: Activation { .relu }
  }
  /// ``Activation/relu6`` as a type.
  enum ReLU6Activation: EpilogueActivation {
    static var activation: Activation { .relu6 }
  }
  /// ``Activation/silu`` as a type.
  enum SiLUActivation: EpilogueActivation {
    static var activation: Activation { .silu }
  }
  /// ``Activation/sigmoid`` as a type.
  enum SigmoidActivation: EpilogueActivation {
    static var activation: Activation { .sigmoid }
  }
}
