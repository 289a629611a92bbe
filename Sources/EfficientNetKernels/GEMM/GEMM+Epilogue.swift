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
    @inline(always)
    func biasVector(at column: Int) -> SIMD8<Float> {
      guard let bias else { return SIMD8<Float>() }
      return load8(bias + column)
    }

    /// Finishes and stores `C[row, column..<column + 16]` from its sums; all 16 columns are inside `C`.
    ///
    /// Guaranteed inline: left as a call (as the compiler did with `@inline(__always)`), each of a tile's
    /// six rows spilled the other accumulators around it, which made ReLU6 expansions 20–40% slower.
    /// Only cheap activations come here from full tiles (see ``EpilogueActivation``).
    @inline(always)
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
    @inline(always)
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

    /// Stores `sums + bias` into `C[firstRow + r, column..<column + 8]` for the six rows of a tile,
    /// unfinished, for ``activateRows(firstRow:rowCount:firstColumn:width:_:)`` to finish.
    @inline(always)
    func storeSums(
      _ sums: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>),
      bias: SIMD8<Float>, firstRow: Int, column: Int
    ) {
      let start = UnsafeMutableRawPointer(output + (firstRow &* outputRowStride &+ column))
      let rowBytes = outputRowStride &* MemoryLayout<Float>.size
      start.storeBytes(of: sums.0 + bias, as: SIMD8<Float>.self)
      start.storeBytes(of: sums.1 + bias, toByteOffset: rowBytes, as: SIMD8<Float>.self)
      start.storeBytes(of: sums.2 + bias, toByteOffset: 2 &* rowBytes, as: SIMD8<Float>.self)
      start.storeBytes(of: sums.3 + bias, toByteOffset: 3 &* rowBytes, as: SIMD8<Float>.self)
      start.storeBytes(of: sums.4 + bias, toByteOffset: 4 &* rowBytes, as: SIMD8<Float>.self)
      start.storeBytes(of: sums.5 + bias, toByteOffset: 5 &* rowBytes, as: SIMD8<Float>.self)
    }

    /// Applies the activation to `C[firstRow + r, firstColumn..<firstColumn + width]` (`r < rowCount`,
    /// width 8 or 16, all inside `C`), which hold `sums + bias` from ``storeSums(_:bias:firstRow:column:)``,
    /// then adds the residual: the same numbers as ``storeRow(_:_:bias:_:row:column:_:)``, with the
    /// activation's code once per tile and its constants in registers.
    @inline(never)
    func activateRows<Nonlinearity: EpilogueActivation>(
      firstRow: Int, rowCount: Int, firstColumn: Int, width: Int, _: Nonlinearity.Type
    ) {
      for row in firstRow..<(firstRow &+ rowCount) {
        let destination = output + (row &* outputRowStride &+ firstColumn)
        let source = residual.map { $0 + (row &* residualRowStride &+ firstColumn) }
        var offset = 0
        while offset < width {
          var value = Nonlinearity.activation.apply(load8(destination + offset))
          if let source { value += load8(source + offset) }
          UnsafeMutableRawPointer(destination + offset).storeBytes(of: value, as: SIMD8<Float>.self)
          offset &+= 8
        }
      }
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

  /// Finishes a full tile, six rows of 16 (or 8) columns inside `C`, from its registers.
  ///
  /// Two strategies, chosen per type so that neither specialization contains the other's code:
  /// cheap activations (a couple of operations) are applied to the registers as each row is stored
  /// (``CheapEpilogueActivation``); SiLU and sigmoid store the sums and finish them in one
  /// out-of-line pass (``DeferredEpilogueActivation``). Inlined twelve times, SiLU crowded the
  /// accumulators out of the registers, and it grew the tile loop past the size where the compiler
  /// still inlines even its vector loads and stores: SiLU expansions ran 2–4 times slower.
  static func finishTile(
    _ rows: GEMM.TileRows, bias: (SIMD8<Float>, SIMD8<Float>), width: Int, firstRow: Int, firstColumn: Int,
    epilogue: GEMM.Epilogue)
}

/// An activation of a couple of operations, applied in the registers as the tile is stored.
protocol CheapEpilogueActivation: EpilogueActivation {}

extension CheapEpilogueActivation {
  @inline(always)
  static func finishTile(
    _ rows: GEMM.TileRows, bias: (SIMD8<Float>, SIMD8<Float>), width: Int, firstRow: Int, firstColumn: Int,
    epilogue: GEMM.Epilogue
  ) {
    if width == GEMM.panelWidth {
      let (bias0, bias1) = bias
      let c = firstColumn
      epilogue.storeRow(rows.0.0, rows.0.1, bias: bias0, bias1, row: firstRow, column: c, Self.self)
      epilogue.storeRow(rows.1.0, rows.1.1, bias: bias0, bias1, row: firstRow &+ 1, column: c, Self.self)
      epilogue.storeRow(rows.2.0, rows.2.1, bias: bias0, bias1, row: firstRow &+ 2, column: c, Self.self)
      epilogue.storeRow(rows.3.0, rows.3.1, bias: bias0, bias1, row: firstRow &+ 3, column: c, Self.self)
      epilogue.storeRow(rows.4.0, rows.4.1, bias: bias0, bias1, row: firstRow &+ 4, column: c, Self.self)
      epilogue.storeRow(rows.5.0, rows.5.1, bias: bias0, bias1, row: firstRow &+ 5, column: c, Self.self)
    } else {
      let c = firstColumn
      epilogue.storeRow(rows.0.0, bias: bias.0, row: firstRow, column: c, Self.self)
      epilogue.storeRow(rows.1.0, bias: bias.0, row: firstRow &+ 1, column: c, Self.self)
      epilogue.storeRow(rows.2.0, bias: bias.0, row: firstRow &+ 2, column: c, Self.self)
      epilogue.storeRow(rows.3.0, bias: bias.0, row: firstRow &+ 3, column: c, Self.self)
      epilogue.storeRow(rows.4.0, bias: bias.0, row: firstRow &+ 4, column: c, Self.self)
      epilogue.storeRow(rows.5.0, bias: bias.0, row: firstRow &+ 5, column: c, Self.self)
    }
  }
}

/// An activation too long to inline per register: the tile's sums are stored, then finished by
/// ``GEMM/Epilogue/activateRows(firstRow:rowCount:firstColumn:width:_:)`` (the same numbers).
protocol DeferredEpilogueActivation: EpilogueActivation {}

extension DeferredEpilogueActivation {
  @inline(__always)
  static func finishTile(
    _ rows: GEMM.TileRows, bias: (SIMD8<Float>, SIMD8<Float>), width: Int, firstRow: Int, firstColumn: Int,
    epilogue: GEMM.Epilogue
  ) {
    let c = firstColumn
    epilogue.storeSums(
      (rows.0.0, rows.1.0, rows.2.0, rows.3.0, rows.4.0, rows.5.0), bias: bias.0, firstRow: firstRow,
      column: c)
    if width == GEMM.panelWidth {
      epilogue.storeSums(
        (rows.0.1, rows.1.1, rows.2.1, rows.3.1, rows.4.1, rows.5.1), bias: bias.1, firstRow: firstRow,
        column: c &+ 8)
    }
    epilogue.activateRows(
      firstRow: firstRow, rowCount: GEMM.tileRows, firstColumn: c, width: width, Self.self)
  }
}

extension GEMM {
  /// A full tile's sums in registers: six rows of two 8-column halves (the second unused when 8 wide).
  typealias TileRows = (
    (SIMD8<Float>, SIMD8<Float>), (SIMD8<Float>, SIMD8<Float>), (SIMD8<Float>, SIMD8<Float>),
    (SIMD8<Float>, SIMD8<Float>), (SIMD8<Float>, SIMD8<Float>), (SIMD8<Float>, SIMD8<Float>)
  )

  /// ``Activation/identity`` as a type.
  enum IdentityActivation: CheapEpilogueActivation {
    static var activation: Activation { .identity }
  }
  /// ``Activation/relu`` as a type.
  enum ReLUActivation: CheapEpilogueActivation {
    static var activation: Activation { .relu }
  }
  /// ``Activation/relu6`` as a type.
  enum ReLU6Activation: CheapEpilogueActivation {
    static var activation: Activation { .relu6 }
  }
  /// ``Activation/silu`` as a type.
  enum SiLUActivation: DeferredEpilogueActivation {
    static var activation: Activation { .silu }
  }
  /// ``Activation/sigmoid`` as a type.
  enum SigmoidActivation: DeferredEpilogueActivation {
    static var activation: Activation { .sigmoid }
  }
}
