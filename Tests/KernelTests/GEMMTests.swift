import EfficientNetKernels
import EfficientNetTestSupport
import XCTest

/// `GEMM.multiply` against its naive twin `GEMM.multiplyReference`, at tile-boundary and real shapes.
final class GEMMTests: XCTestCase {
  /// Everything one product needs, with deterministic pseudo-random contents.
  struct Problem {
    var rows: Int
    var inputCount: Int
    var outputCount: Int
    var inputRowStride: Int
    var outputRowStride: Int
    var residualRowStride: Int
    var input: [Float]
    /// `[N, K]`, PyTorch's layout.
    var weights: [Float]
    var scale: [Float]?
    var bias: [Float]?
    var residual: [Float]?
    var activation: Activation

    init(
      rows: Int, inputCount: Int, outputCount: Int, scale: Bool = false, bias: Bool = false,
      residual: Bool = false, activation: Activation = .identity, extraStride: Int = 0, seed: UInt64 = 1
    ) {
      var generator = SplitMix64(
        seed: seed &+ UInt64(rows * 1_000_003 + inputCount * 1009 + outputCount))
      self.rows = rows
      self.inputCount = inputCount
      self.outputCount = outputCount
      inputRowStride = inputCount + extraStride
      outputRowStride = outputCount + 2 * extraStride
      residualRowStride = outputCount + 3 * extraStride
      input = generator.floats(count: max(1, rows * inputRowStride))
      weights = generator.floats(count: outputCount * inputCount)
      self.scale = scale ? generator.floats(count: inputCount, in: 0...1) : nil
      self.bias = bias ? generator.floats(count: outputCount) : nil
      self.residual = residual ? generator.floats(count: max(1, rows * residualRowStride)) : nil
      self.activation = activation
    }

    /// `C` from the packed, threaded kernel; elements between rows keep the value `sentinel`.
    func fast(threads: Int, sentinel: Float = 12345) -> [Float] {
      let packed = weights.withUnsafeBufferPointer {
        PackedWeights(outputMajor: $0, outputCount: outputCount, inputCount: inputCount)
      }
      var output = [Float](repeating: sentinel, count: max(1, rows * outputRowStride))
      withPointers { input, scale, bias, residual in
        output.withUnsafeMutableBufferPointer { output in
          GEMM.multiply(
            rows: rows, input: input, inputRowStride: inputRowStride, inputScale: scale,
            weights: packed, bias: bias, activation: activation,
            residual: residual, residualRowStride: residualRowStride,
            output: output.baseAddress!, outputRowStride: outputRowStride,
            pool: ComputePool(threadCount: threads))
        }
      }
      return output
    }

    /// `C` from the naive triple loop.
    func reference(sentinel: Float = 12345) -> [Float] {
      var output = [Float](repeating: sentinel, count: max(1, rows * outputRowStride))
      withPointers { input, scale, bias, residual in
        weights.withUnsafeBufferPointer { weights in
          output.withUnsafeMutableBufferPointer { output in
            GEMM.multiplyReference(
              rows: rows, input: input, inputRowStride: inputRowStride, inputScale: scale,
              weights: weights.baseAddress!, outputCount: outputCount, inputCount: inputCount,
              bias: bias, activation: activation,
              residual: residual, residualRowStride: residualRowStride,
              output: output.baseAddress!, outputRowStride: outputRowStride)
          }
        }
      }
      return output
    }

    /// The largest `|C[m, n]|` can be before the activation: `Σ_k |A·scale·B| + |bias|` (+ residual),
    /// the scale of rounding errors.
    func magnitude(row: Int, column: Int) -> Float {
      var sum = abs(bias?[column] ?? 0) + abs(residual?[row * residualRowStride + column] ?? 0)
      for k in 0..<inputCount {
        sum += abs(input[row * inputRowStride + k] * (scale?[k] ?? 1) * weights[column * inputCount + k])
      }
      return sum
    }

    private func withPointers(
      _ body: (
        UnsafePointer<Float>, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?
      ) -> Void
    ) {
      input.withUnsafeBufferPointer { input in
        optionalPointer(scale) { scale in
          optionalPointer(bias) { bias in
            optionalPointer(residual) { residual in body(input.baseAddress!, scale, bias, residual) }
          }
        }
      }
    }
  }

  /// Asserts `GEMM.multiply` equals the reference within `1e-5` of each element's magnitude, on one
  /// and two threads, and leaves the gaps between output rows alone.
  func assertMatchesReference(_ problem: Problem, file: StaticString = #filePath, line: UInt = #line) {
    let expected = problem.reference()
    for threads in [1, 2] {
      let actual = problem.fast(threads: threads)
      for row in 0..<problem.rows {
        for column in 0..<problem.outputRowStride {
          let index = row * problem.outputRowStride + column
          func description() -> String {
            "M=\(problem.rows) K=\(problem.inputCount) N=\(problem.outputCount) threads=\(threads) "
              + "activation=\(problem.activation) scale=\(problem.scale != nil) bias=\(problem.bias != nil) "
              + "residual=\(problem.residual != nil) at [\(row), \(column)]"
          }
          if column >= problem.outputCount {
            if actual[index] != 12345 {
              XCTFail("wrote past N: " + description(), file: file, line: line)
              return
            }
            continue
          }
          let error = abs(actual[index] - expected[index])
          // Cheap bound first; the sum of magnitudes only for the rare element that needs it.
          if error > 1e-5 * max(1, abs(expected[index]))
            && error > 1e-5 * max(1, problem.magnitude(row: row, column: column))
          {
            XCTFail("\(actual[index]) != \(expected[index]) " + description(), file: file, line: line)
            return
          }
        }
      }
    }
  }

  func testReferenceMatchesHandComputedProduct() {
    // A = [[1, 2, 3], [-4, 5, -6]], scale = [1, 0.5, 2], W[N=2, K=3] = [[1, 0, -1], [2, 1, 0.5]],
    // bias = [0.5, -1], relu, residual = [[10, 20], [30, 40]].
    // A·diag(scale) = [[1, 1, 6], [-4, 2.5, -12]]
    // row 0: n0 = 1 - 6 = -5 → +0.5 → relu 0 → +10 = 10; n1 = 2 + 1 + 3 = 6 → -1 → 5 → +20 = 25
    // row 1: n0 = -4 + 12 = 8 → 8.5 → +30 = 38.5; n1 = -8 + 2.5 - 6 = -11.5 → -12.5 → 0 → +40 = 40
    let input: [Float] = [1, 2, 3, -4, 5, -6]
    let scale: [Float] = [1, 0.5, 2]
    let weights: [Float] = [1, 0, -1, 2, 1, 0.5]
    let bias: [Float] = [0.5, -1]
    let residual: [Float] = [10, 20, 30, 40]
    var output = [Float](repeating: 0, count: 4)
    GEMM.multiplyReference(
      rows: 2, input: input, inputRowStride: 3, inputScale: scale,
      weights: weights, outputCount: 2, inputCount: 3,
      bias: bias, activation: .relu, residual: residual, residualRowStride: 2,
      output: &output, outputRowStride: 2)
    XCTAssertEqual(output, [10, 25, 38.5, 40])
  }

  func testMatchesReferenceAtAwkwardSizes() {
    let sizes = [1, 7, 8, 9, 15, 16, 17]
    var variant = 0
    for rows in sizes + [5, 6, 12, 13] {
      for inputCount in sizes {
        for outputCount in sizes + [23, 24, 25, 33] {
          variant += 1
          // Cycle through the options so every combination of sizes sees several of them.
          let activation = Activation.allCases[variant % Activation.allCases.count]
          assertMatchesReference(
            Problem(
              rows: rows, inputCount: inputCount, outputCount: outputCount, scale: variant % 2 == 0,
              bias: variant % 3 != 0, residual: variant % 4 == 1, activation: activation))
        }
      }
    }
  }

  func testEveryActivationAndOptionMatchesReference() {
    for activation in Activation.allCases {
      for options in 0..<8 {
        assertMatchesReference(
          Problem(
            rows: 13, inputCount: 19, outputCount: 41, scale: options & 1 != 0, bias: options & 2 != 0,
            residual: options & 4 != 0, activation: activation))
      }
    }
  }

  func testRowStridesLargerThanWidthsAreRespected() {
    for (rows, inputCount, outputCount) in [(7, 9, 17), (1, 33, 24), (12, 16, 8), (25, 40, 72)] {
      assertMatchesReference(
        Problem(
          rows: rows, inputCount: inputCount, outputCount: outputCount, scale: true, bias: true,
          residual: true, activation: .silu, extraStride: 5))
    }
  }

  func testSplitsAcrossThreadsMatchReference() {
    // Large enough to run on two threads: split by row tiles (many rows), by column panels (many
    // columns, a narrow last panel), and a matrix-vector product split by panels.
    let shapes = [(301, 33, 17), (13, 257, 65), (67, 129, 33), (1, 700, 1000)]
    for (rows, inputCount, outputCount) in shapes {
      assertMatchesReference(
        Problem(
          rows: rows, inputCount: inputCount, outputCount: outputCount, scale: true, bias: true,
          residual: true, activation: .relu6, extraStride: 3))
    }
  }

  func testEfficientNetShapesMatchReference() {
    let shapes = [(196, 112, 672), (49, 320, 1280), (49, 1152, 320), (784, 40, 240), (1, 1280, 1000)]
    for (index, (rows, inputCount, outputCount)) in shapes.enumerated() {
      assertMatchesReference(
        Problem(
          rows: rows, inputCount: inputCount, outputCount: outputCount, scale: index % 2 == 1, bias: true,
          residual: index % 2 == 1, activation: index % 2 == 0 ? .silu : .identity))
    }
  }

  /// A row's result is the same bits wherever it lies in `A` — in a full 6-row tile, in an edge tile
  /// of 3 to 5 rows, or alone (the matrix-vector kernel) — so a batched request equals its image run
  /// alone. Widths cover 4-panel groups, single wide panels, a narrow last panel and a partial one.
  func testRowResultDoesNotDependOnItsPositionInTheBatch() {
    for (outputCount, inputCount) in [(1000, 1280), (80, 37), (40, 16), (21, 9)] {
      for activation in [Activation.identity, .silu, .relu6, .sigmoid] {
        // 13 rows end in a 1-row edge tile, 16 in a 4-row one.
        for (rows, row) in [(13, 0), (13, 5), (13, 6), (13, 12), (16, 12), (16, 15)] {
          let all = Problem(
            rows: rows, inputCount: inputCount, outputCount: outputCount, bias: true, activation: activation)
          let batched = all.fast(threads: 2)
          var alone = all
          alone.rows = 1
          alone.input = Array(all.input[(row * all.inputRowStride)..<((row + 1) * all.inputRowStride)])
          let single = alone.fast(threads: 1)
          let start = row * all.outputRowStride
          XCTAssertEqual(
            Array(batched[start..<(start + outputCount)]), Array(single[0..<outputCount]),
            "row \(row) of \(rows), N \(outputCount), K \(inputCount), \(activation)")
        }
      }
    }
  }

  func testOneAndTwoThreadsGiveIdenticalResults() {
    // Every element is summed by the same micro-kernel in the same order however work is split.
    for (rows, inputCount, outputCount) in [(196, 112, 672), (3136, 24, 40), (1, 640, 1000)] {
      let problem = Problem(
        rows: rows, inputCount: inputCount, outputCount: outputCount, scale: true, bias: true,
        activation: .silu)
      XCTAssertEqual(problem.fast(threads: 1), problem.fast(threads: 2))
    }
  }

  func testResidualMayBeTheOutput() {
    let problem = Problem(rows: 20, inputCount: 24, outputCount: 40, bias: true, residual: true)
    let expected = problem.reference()
    let packed = problem.weights.withUnsafeBufferPointer {
      PackedWeights(outputMajor: $0, outputCount: 40, inputCount: 24)
    }
    // Compact residual rows, used as both the skip input and the destination.
    var buffer = (0..<20 * 40).map { problem.residual![($0 / 40) * problem.residualRowStride + $0 % 40] }
    buffer.withUnsafeMutableBufferPointer { buffer in
      GEMM.multiply(
        rows: 20, input: problem.input, inputRowStride: 24, inputScale: nil, weights: packed,
        bias: problem.bias, activation: .identity, residual: UnsafePointer(buffer.baseAddress!),
        residualRowStride: 40, output: buffer.baseAddress!, outputRowStride: 40)
    }
    for index in buffer.indices {
      XCTAssertEqual(buffer[index], expected[index], accuracy: 1e-4)
    }
  }

  func testInputMajorPackingEqualsOutputMajorPacking() {
    let (inputCount, outputCount) = (21, 45)
    let problem = Problem(rows: 14, inputCount: inputCount, outputCount: outputCount, bias: true)
    let transposed = (0..<inputCount * outputCount).map { index in
      problem.weights[(index % outputCount) * inputCount + index / outputCount]
    }
    let packed = transposed.withUnsafeBufferPointer {
      PackedWeights(inputMajor: $0, inputCount: inputCount, outputCount: outputCount)
    }
    var output = [Float](repeating: 0, count: 14 * outputCount)
    GEMM.multiply(
      rows: 14, input: problem.input, inputRowStride: inputCount, inputScale: nil, weights: packed,
      bias: problem.bias, activation: .identity, residual: nil, residualRowStride: 0,
      output: &output, outputRowStride: outputCount)
    XCTAssertEqual(output, problem.fast(threads: 1))
  }

  func testZeroRowsWritesNothing() {
    let packed = [Float](repeating: 1, count: 12).withUnsafeBufferPointer {
      PackedWeights(outputMajor: $0, outputCount: 3, inputCount: 4)
    }
    var output: [Float] = [7]
    GEMM.multiply(
      rows: 0, input: [1, 2, 3, 4], inputRowStride: 4, inputScale: nil, weights: packed, bias: nil,
      activation: .relu, residual: nil, residualRowStride: 0, output: &output, outputRowStride: 3)
    XCTAssertEqual(output, [7])
  }
}

/// Calls `body` with the array's base address, or `nil` for no array.
private func optionalPointer(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> Void) {
  if let array {
    array.withUnsafeBufferPointer { body($0.baseAddress!) }
  } else {
    body(nil)
  }
}
