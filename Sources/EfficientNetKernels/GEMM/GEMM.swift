/// Matrix products with a fused epilogue: every 1×1 convolution and linear layer of EfficientNet.
///
/// With NHWC activations a 1×1 convolution is `C[M, N] = A[M, K] × B[K, N]` with `M = N·H·W`
/// (batch × pixels), `K = Cin`, `N = Cout`. The weights are packed once into ``PackedWeights``; each
/// call computes tiles of 6 rows × 16 columns (or 8 for a narrow last panel) in registers and applies
/// bias, activation and residual while storing them.
public enum GEMM {
  /// The width of a weight panel, in columns: two AVX2 vectors.
  static let panelWidth = 16
  /// The width of a narrow last panel (when `N % 16` is between 1 and 8): one vector.
  static let narrowPanelWidth = 8
  /// The number of rows of `A` and `C` a micro-kernel tile covers.
  static let tileRows = 6
  /// Edge tiles with at most this many rows are computed one row at a time.
  static let smallTileRows = 2
  /// The number of floats of the tile buffer the micro-kernels write their sums to.
  static let tileBufferCount = tileRows * panelWidth  // = 3 × 32, the stack tuple in `multiply`
  /// Products with fewer multiply-adds than this run on the calling thread only: waking a second
  /// thread costs more than it saves.
  static let parallelThreshold = 1 << 17

  /// Computes `C = activation(A · diag(scale) · B + bias) + residual`.
  ///
  /// `C[m, n] = activation(Σ_k A[m, k] · scale[k] · B[k, n] + bias[n]) + residual[m, n]` for
  /// `m < M`, `n < N`, `k < K`. The residual is added **after** the activation (EfficientNet's
  /// projection convolutions have the identity activation, so there the order does not matter).
  /// Work is spread over the pool's threads by row tiles or by column panels, whichever keeps each
  /// thread's memory traffic lower; products under about 131k multiply-adds stay on one thread.
  /// Every element is summed in the same order however the work is split, so the result does not
  /// depend on the thread count. Allocates nothing in steady state.
  ///
  /// - Parameters:
  ///   - rows: `M`, the number of rows of `A` and `C` (0 does nothing).
  ///   - input: `A[M, K]`; row `m` starts at `input + m · inputRowStride`.
  ///   - inputRowStride: the distance in floats between rows of `A` (at least `K` when `M > 1`).
  ///   - inputScale: `scale[K]`, a per-column factor of `A` (the squeeze-and-excitation gate fused into
  ///     the projection), or `nil` for none.
  ///   - weights: `B[K, N]`, packed.
  ///   - bias: `bias[N]`, or `nil` for none.
  ///   - activation: applied after the bias, before the residual.
  ///   - residual: `R[M, N]` (a skip connection), or `nil` for none. It may be the same memory as
  ///     `output` with the same row stride (an in-place residual add); neither may overlap `input`.
  ///   - residualRowStride: the distance in floats between rows of `R`.
  ///   - output: `C[M, N]`; must not overlap `input`, `inputScale`, or `bias`.
  ///   - outputRowStride: the distance in floats between rows of `C` (at least `N` when `M > 1`).
  ///   - pool: the threads to run on.
  public static func multiply(
    rows: Int, input: UnsafePointer<Float>, inputRowStride: Int,
    inputScale: UnsafePointer<Float>?,
    weights: PackedWeights,
    bias: UnsafePointer<Float>?, activation: Activation,
    residual: UnsafePointer<Float>?, residualRowStride: Int,
    output: UnsafeMutablePointer<Float>, outputRowStride: Int,
    pool: ComputePool = .shared
  ) {
    let depth = weights.inputCount
    let columns = weights.outputCount
    precondition(rows >= 0, "GEMM.multiply: negative row count")
    precondition(rows <= 1 || inputRowStride >= depth, "GEMM.multiply: input row stride below K")
    precondition(rows <= 1 || outputRowStride >= columns, "GEMM.multiply: output row stride below N")
    precondition(
      rows <= 1 || residual == nil || residualRowStride >= columns,
      "GEMM.multiply: residual row stride below N")
    if rows == 0 { return }
    let epilogue = Epilogue(
      bias: bias, activation: activation, residual: residual, residualRowStride: residualRowStride,
      output: output, outputRowStride: outputRowStride, columnCount: columns)

    let tileCount = (rows + tileRows - 1) / tileRows
    let panelCount = weights.panelCount
    let threads = rows * depth * columns < parallelThreshold ? 1 : pool.threadCount
    // Each thread reads all of the operand that is not split: split the larger one.
    let weightsAreLarger = panelCount * panelWidth > rows
    let splitColumns = (weightsAreLarger && panelCount >= threads) || tileCount < threads
    let taskCount = min(threads, splitColumns ? panelCount : tileCount)

    /// Runs the tasks with the tile loops specialized for one activation.
    func run<Nonlinearity: EpilogueActivation>(_ nonlinearity: Nonlinearity.Type) {
      pool.parallelFor(taskCount) { task in
        let tiles = splitColumns ? 0..<tileCount : share(of: tileCount, task: task, taskCount: taskCount)
        let panels = splitColumns ? share(of: panelCount, task: task, taskCount: taskCount) : 0..<panelCount
        // The tile buffer, on the stack, and with a scale the scaled rows of A.
        var tileBuffer = (SIMD32<Float>(), SIMD32<Float>(), SIMD32<Float>())
        withUnsafeMutableBytes(of: &tileBuffer) { bytes in
          let buffer = bytes.baseAddress!.bindMemory(to: Float.self, capacity: tileBufferCount)
          func multiply(scaledRows: UnsafeMutablePointer<Float>?) {
            multiplyTiles(
              rows: rows, input: input, inputRowStride: inputRowStride, inputScale: inputScale,
              weights: weights, tiles: tiles, panels: panels, buffer: buffer, scaledRows: scaledRows,
              epilogue: epilogue, activation: nonlinearity)
          }
          if inputScale == nil {
            multiply(scaledRows: nil)
          } else {
            ScratchBuffers.shared.withBuffer(capacity: min(rows, tileRows) * depth, multiply)
          }
        }
      }
    }
    switch activation {
    case .identity: run(IdentityActivation.self)
    case .relu: run(ReLUActivation.self)
    case .relu6: run(ReLU6Activation.self)
    case .silu: run(SiLUActivation.self)
    case .sigmoid: run(SigmoidActivation.self)
    }
  }

  /// The `task`-th of `taskCount` nearly equal contiguous parts of `0..<count`.
  @inline(__always)
  static func share(of count: Int, task: Int, taskCount: Int) -> Range<Int> {
    (count * task / taskCount)..<(count * (task + 1) / taskCount)
  }

  /// Row tiles `tiles` × column panels `panels` of `C`, tile by tile.
  ///
  /// A tile of 6 rows goes through the register-blocked kernels; an edge tile of at most
  /// ``smallTileRows`` rows (the matrix-vector product among them) goes row by row, summing each
  /// element in the same order, so a row's result does not depend on where in `A` it lies.
  ///
  /// - Parameters:
  ///   - buffer: room for `6 · 16` floats, the sums of edge tiles.
  ///   - scaledRows: room for `min(M, 6) · K` floats, each tile's rows of `A` scaled, when
  ///     `inputScale` is given.
  static func multiplyTiles<Nonlinearity: EpilogueActivation>(
    rows: Int, input: UnsafePointer<Float>, inputRowStride: Int, inputScale: UnsafePointer<Float>?,
    weights: PackedWeights, tiles: Range<Int>, panels: Range<Int>, buffer sums: UnsafeMutablePointer<Float>,
    scaledRows: UnsafeMutablePointer<Float>?, epilogue: Epilogue, activation: Nonlinearity.Type
  ) {
    let depth = weights.inputCount
    for tile in tiles {
      let firstRow = tile * tileRows
      let rowCount = min(tileRows, rows - firstRow)
      var tileInput = input + firstRow * inputRowStride
      var tileRowStride = inputRowStride
      if let inputScale, let scaled = scaledRows {
        for row in 0..<rowCount {
          scale(tileInput + row * inputRowStride, by: inputScale, count: depth, into: scaled + row * depth)
        }
        tileInput = UnsafePointer(scaled)
        tileRowStride = depth
      }
      if rowCount <= smallTileRows {
        // A full tile would spend 6 rows of work on these few: do them one by one instead.
        for row in 0..<rowCount {
          let rowInput = tileInput + row * tileRowStride
          var panel = panels.lowerBound
          while panel < panels.upperBound {
            if panel + 4 <= panels.upperBound && weights.width(ofPanel: panel + 3) == panelWidth {
              vectorTiles(input: rowInput, panel: weights.panelStart(panel), depth: depth, tile: sums)
              for offset in 0..<4 {
                epilogue.finish(
                  sums + offset * panelWidth, rowCount: 1, firstRow: firstRow + row,
                  firstColumn: (panel + offset) * panelWidth, width: panelWidth)
              }
              panel += 4
              continue
            }
            let width = weights.width(ofPanel: panel)
            vectorTile(
              input: rowInput, panel: weights.panelStart(panel), panelWidth: width, depth: depth, tile: sums)
            epilogue.finish(
              sums, rowCount: 1, firstRow: firstRow + row, firstColumn: panel * panelWidth, width: width)
            panel += 1
          }
        }
        continue
      }
      for panel in panels {
        let firstColumn = panel * panelWidth
        let panelWeights = weights.panelStart(panel)
        if weights.width(ofPanel: panel) == panelWidth {
          wideTile(
            input: tileInput, inputRowStride: tileRowStride, rowCount: rowCount,
            panel: panelWeights, depth: depth, firstRow: firstRow, firstColumn: firstColumn,
            epilogue: epilogue, buffer: sums, activation: Nonlinearity.self)
        } else {
          narrowTile(
            input: tileInput, inputRowStride: tileRowStride, rowCount: rowCount,
            panel: panelWeights, depth: depth, firstRow: firstRow, firstColumn: firstColumn,
            epilogue: epilogue, buffer: sums, activation: Nonlinearity.self)
        }
      }
    }
  }

  /// `destination[k] = source[k] · factors[k]` for `k < count`.
  @inline(__always)
  static func scale(
    _ source: UnsafePointer<Float>, by factors: UnsafePointer<Float>, count: Int,
    into destination: UnsafeMutablePointer<Float>
  ) {
    var k = 0
    while k &+ 8 <= count {
      let product = load8(source + k) * load8(factors + k)
      UnsafeMutableRawPointer(destination + k).storeBytes(of: product, as: SIMD8<Float>.self)
      k = k &+ 8
    }
    while k < count {
      destination[k] = source[k] * factors[k]
      k = k &+ 1
    }
  }
}
