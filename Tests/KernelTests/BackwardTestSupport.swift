import EfficientNetKernels
import EfficientNetTestSupport
import XCTest

/// Random data, finite differences and closeness checks for the backward-kernel tests.
enum BackwardTestSupport {
  /// `count` values uniform in `[-scale, scale)`.
  static func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    SplitMix64.uniformFloats(count: count, seed: seed, scale: scale)
  }

  /// At most `limit` indices of `0..<count`: all of them when few, else an even spread that includes
  /// both ends.
  static func sampleIndices(_ count: Int, limit: Int = 48) -> [Int] {
    if count <= limit { return Array(0..<count) }
    return (0..<limit).map { $0 * (count - 1) / (limit - 1) }
  }

  /// Central differences `(f(x + h·e_i) − f(x − h·e_i)) / 2h` of a `Double` function at the given
  /// indices of `point`.
  static func numericGradient(
    at point: [Float], indices: [Int], step: Double = 1e-3, _ function: ([Double]) -> Double
  ) -> [Double] {
    var values = point.map(Double.init)
    return indices.map { index in
      let original = values[index]
      values[index] = original + step
      let above = function(values)
      values[index] = original - step
      let below = function(values)
      values[index] = original
      return (above - below) / (2 * step)
    }
  }

  /// Asserts that `analytic[indices[j]]` matches `numeric[j]` within `tolerance · max|numeric|`
  /// (plus a tiny absolute floor for all-zero gradients).
  /// Checks a layer's three gradients (input, weights, bias) against central differences of `loss`,
  /// which maps (x, w, b) in Double to the scalar loss.
  static func assertLayerGradients(
    dX: [Float], dW: [Float], db: [Float], x: [Float], w: [Float], b: [Float], _ label: String,
    loss: ([Double], [Double], [Double]) -> Double, file: StaticString = #filePath, line: UInt = #line
  ) {
    let (xd, wd, bd) = (x.map(Double.init), w.map(Double.init), b.map(Double.init))
    var indices = sampleIndices(x.count)
    assertGradient(
      dX, numericGradient(at: x, indices: indices) { loss($0, wd, bd) }, indices: indices, "dX " + label,
      file: file, line: line)
    indices = sampleIndices(w.count)
    assertGradient(
      dW, numericGradient(at: w, indices: indices) { loss(xd, $0, bd) }, indices: indices, "dW " + label,
      file: file, line: line)
    indices = sampleIndices(b.count)
    assertGradient(
      db, numericGradient(at: b, indices: indices) { loss(xd, wd, $0) }, indices: indices, "db " + label,
      file: file, line: line)
  }

  static func assertGradient(
    _ analytic: [Float], _ numeric: [Double], indices: [Int], tolerance: Double = 1e-3, _ label: String,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    let largest = numeric.map(abs).max() ?? 0
    let allowed = tolerance * largest + 1e-6
    var failures = 0
    for (j, index) in indices.enumerated() where abs(Double(analytic[index]) - numeric[j]) > allowed {
      failures += 1
      if failures <= 4 {
        XCTFail(
          "\(label): [\(index)] analytic \(analytic[index]), numeric \(numeric[j]) (allowed \(allowed))",
          file: file, line: line)
      }
    }
    if failures > 4 { XCTFail("\(label): \(failures) mismatches", file: file, line: line) }
  }

  /// Asserts `|actual − expected| ≤ relative · max|expected| + 1e-7` element by element.
  static func assertClose(
    _ actual: [Float], _ expected: [Float], relative: Float = 1e-5, _ label: String,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(actual.count, expected.count, "count, " + label, file: file, line: line)
    let largest = expected.map(abs).max() ?? 0
    let allowed = relative * largest + 1e-7
    var failures = 0
    for index in 0..<min(actual.count, expected.count)
    where !(abs(actual[index] - expected[index]) <= allowed) {
      failures += 1
      if failures <= 4 {
        XCTFail(
          "\(label): [\(index)] got \(actual[index]), expected \(expected[index])", file: file, line: line)
      }
    }
    if failures > 4 { XCTFail("\(label): \(failures) mismatches", file: file, line: line) }
  }

  /// Asserts that `actual` and `expected` hold the same floats to the bit (NaNs included).
  static func assertSameBits(
    _ actual: [Float], _ expected: [Float], _ label: String, file: StaticString = #filePath,
    line: UInt = #line
  ) {
    XCTAssertEqual(actual.count, expected.count, "count, " + label, file: file, line: line)
    var failures = 0
    for index in 0..<min(actual.count, expected.count)
    where actual[index].bitPattern != expected[index].bitPattern {
      failures += 1
      if failures <= 4 {
        XCTFail(
          "\(label): [\(index)] got \(actual[index]), expected \(expected[index])", file: file, line: line)
      }
    }
    if failures > 4 { XCTFail("\(label): \(failures) values differ", file: file, line: line) }
  }

  /// A layer's three gradients: input, weights, bias.
  typealias LayerGradients = (dX: [Float], dW: [Float], db: [Float])

  /// Asserts each of `actual`'s gradients is close to `expected`'s (as `assertClose` does) and, when
  /// given, that the gradients of a run on more threads equal `actual`'s exactly.
  static func assertGradients(
    _ actual: LayerGradients, closeTo expected: LayerGradients, threaded: LayerGradients? = nil,
    _ label: String, file: StaticString = #filePath, line: UInt = #line
  ) {
    let names = ["dX", "dW", "db"]
    let actualParts = [actual.dX, actual.dW, actual.db]
    let expectedParts = [expected.dX, expected.dW, expected.db]
    let threadedParts = threaded.map { [$0.dX, $0.dW, $0.db] }
    for (index, name) in names.enumerated() {
      assertClose(actualParts[index], expectedParts[index], name + " " + label, file: file, line: line)
      if let threadedParts {
        XCTAssertEqual(
          threadedParts[index], actualParts[index], name + " independent of threads, " + label, file: file,
          line: line)
      }
    }
  }

  /// Checks a convolution's gradients `fast` for the output gradient `r` against central differences
  /// of `Σ r ⊙ convolution(x, w, b)` (see `convolutionForward`).
  static func assertConvolutionGradients(
    _ fast: LayerGradients, x: [Float], w: [Float], b: [Float], r: [Float], batch: Int, inputChannels: Int,
    outputChannels: Int, groups: Int, geometry: ConvolutionGeometry, _ label: String,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    assertLayerGradients(
      dX: fast.dX, dW: fast.dW, db: fast.db, x: x, w: w, b: b, label,
      loss: { x, w, b in
        dot(
          r,
          convolutionForward(
            x: x, w: w, b: b, batch: batch, inputChannels: inputChannels, outputChannels: outputChannels,
            groups: groups, geometry: geometry))
      }, file: file, line: line)
  }

  /// `Σ weights[i] · values[i]`: a random linear functional of an output, so that its gradient with
  /// respect to the output is `weights`.
  static func dot(_ weights: [Float], _ values: [Double]) -> Double {
    zip(weights, values).reduce(0) { $0 + Double($1.0) * $1.1 }
  }

  // MARK: Double-precision forward passes (the functions the finite differences differentiate)

  /// `Y[m, n] = Σ_k X[m, k] · W[n, k] + b[n]`.
  static func linearForward(x: [Double], w: [Double], b: [Double]?, rows: Int, outputs: Int, inputs: Int)
    -> [Double]
  {
    var y = [Double](repeating: 0, count: rows * outputs)
    for m in 0..<rows {
      for n in 0..<outputs {
        var sum = b?[n] ?? 0
        for k in 0..<inputs { sum += x[m * inputs + k] * w[n * inputs + k] }
        y[m * outputs + n] = sum
      }
    }
    return y
  }

  /// A general grouped convolution (depthwise when `groups == Cin == Cout`), PyTorch weights.
  static func convolutionForward(
    x: [Double], w: [Double], b: [Double]?, batch: Int, inputChannels: Int, outputChannels: Int,
    groups: Int, geometry g: ConvolutionGeometry
  ) -> [Double] {
    let inputPerGroup = inputChannels / groups
    let outputPerGroup = outputChannels / groups
    var y = [Double](repeating: 0, count: batch * g.outputHeight * g.outputWidth * outputChannels)
    for n in 0..<batch {
      for oy in 0..<g.outputHeight {
        for ox in 0..<g.outputWidth {
          for o in 0..<outputChannels {
            let group = o / outputPerGroup
            var sum = b?[o] ?? 0
            for ky in 0..<g.kernelHeight {
              let iy = oy * g.strideHeight - g.padTop + ky
              if iy < 0 || iy >= g.inputHeight { continue }
              for kx in 0..<g.kernelWidth {
                let ix = ox * g.strideWidth - g.padLeft + kx
                if ix < 0 || ix >= g.inputWidth { continue }
                for i in 0..<inputPerGroup {
                  let input = ((n * g.inputHeight + iy) * g.inputWidth + ix) * inputChannels
                  let weight = ((o * inputPerGroup + i) * g.kernelHeight + ky) * g.kernelWidth + kx
                  sum += x[input + group * inputPerGroup + i] * w[weight]
                }
              }
            }
            y[((n * g.outputHeight + oy) * g.outputWidth + ox) * outputChannels + o] = sum
          }
        }
      }
    }
    return y
  }

  /// The geometries the convolution tests sweep: odd and one-pixel inputs, strides 1 and 2, both
  /// paddings, kernels 1, 3 and 5 and a non-square one.
  static var awkwardGeometries: [ConvolutionGeometry] {
    [
      .symmetric(inputHeight: 5, inputWidth: 5, kernelSize: 3, stride: 1),
      .tensorFlowSame(inputHeight: 7, inputWidth: 6, kernelSize: 3, stride: 2),
      .symmetric(inputHeight: 7, inputWidth: 7, kernelSize: 3, stride: 2),
      .tensorFlowSame(inputHeight: 5, inputWidth: 8, kernelSize: 5, stride: 2),
      .symmetric(inputHeight: 6, inputWidth: 5, kernelSize: 5, stride: 1),
      .symmetric(inputHeight: 1, inputWidth: 1, kernelSize: 3, stride: 1),
      .tensorFlowSame(inputHeight: 1, inputWidth: 3, kernelSize: 3, stride: 2),
      .symmetric(inputHeight: 3, inputWidth: 4, kernelSize: 1, stride: 1),
      ConvolutionGeometry(
        inputHeight: 6, inputWidth: 7, kernelHeight: 2, kernelWidth: 3, strideHeight: 2, strideWidth: 1,
        padTop: 0, padLeft: 1, outputHeight: 3, outputWidth: 6),
    ]
  }
}

/// Shorthands that run a kernel on arrays.
extension Array where Element == Float {
  /// Calls `body` with a read-only view of the array.
  func readBuffer<Result>(_ body: (UnsafeBufferPointer<Float>) -> Result) -> Result {
    withUnsafeBufferPointer(body)
  }

  /// Calls `body` with a writable view of the array.
  mutating func writeBuffer<Result>(_ body: (UnsafeMutableBufferPointer<Float>) -> Result) -> Result {
    withUnsafeMutableBufferPointer { body($0) }
  }
}
