import EfficientNetKernels
import EfficientNetTestSupport
import XCTest

final class ConvolutionGeometryTests: XCTestCase {
  func testTensorFlowSameOnOddInputPadsOneEachSide() {
    let g = ConvolutionGeometry.tensorFlowSame(inputHeight: 7, inputWidth: 7, kernelSize: 3, stride: 2)
    XCTAssertEqual(
      [g.outputHeight, g.outputWidth, g.padTop, g.padLeft, g.padBottom, g.padRight], [4, 4, 1, 1, 1, 1])
  }

  func testTensorFlowSameOnEvenInputPutsTheExtraRowAtTheBottom() {
    let g = ConvolutionGeometry.tensorFlowSame(inputHeight: 8, inputWidth: 8, kernelSize: 3, stride: 2)
    XCTAssertEqual([g.outputHeight, g.padTop, g.padBottom, g.padLeft, g.padRight], [4, 0, 1, 0, 1])
    let stem = ConvolutionGeometry.tensorFlowSame(inputHeight: 224, inputWidth: 224, kernelSize: 3, stride: 2)
    XCTAssertEqual([stem.outputHeight, stem.padTop, stem.padBottom], [112, 0, 1])
  }

  func testTensorFlowSameStrideOneKeepsTheSizeAndNeverPadsNegatively() {
    let g = ConvolutionGeometry.tensorFlowSame(inputHeight: 14, inputWidth: 9, kernelSize: 5, stride: 1)
    XCTAssertEqual(
      [g.outputHeight, g.outputWidth, g.padTop, g.padBottom, g.padLeft, g.padRight], [14, 9, 2, 2, 2, 2])
    let pointwise = ConvolutionGeometry.tensorFlowSame(
      inputHeight: 8, inputWidth: 8, kernelSize: 1, stride: 2)
    XCTAssertEqual([pointwise.outputHeight, pointwise.padTop, pointwise.padLeft], [4, 0, 0])
  }

  func testSymmetricMatchesPyTorchPaddingForTheStemAndFiveByFive() {
    let stem = ConvolutionGeometry.symmetric(inputHeight: 224, inputWidth: 224, kernelSize: 3, stride: 2)
    XCTAssertEqual([stem.outputHeight, stem.outputWidth, stem.padTop, stem.padLeft], [112, 112, 1, 1])
    // The last window ends on input row 223, so the bottom padding row is never read.
    XCTAssertEqual(stem.padBottom, 0)
    let five = ConvolutionGeometry.symmetric(inputHeight: 28, inputWidth: 28, kernelSize: 5, stride: 2)
    XCTAssertEqual([five.outputHeight, five.padTop, five.padBottom], [14, 2, 1])
    let fiveSame = ConvolutionGeometry.symmetric(inputHeight: 14, inputWidth: 14, kernelSize: 5, stride: 1)
    XCTAssertEqual([fiveSame.outputHeight, fiveSame.padTop, fiveSame.padBottom], [14, 2, 2])
    let odd = ConvolutionGeometry.symmetric(inputHeight: 7, inputWidth: 7, kernelSize: 3, stride: 2)
    XCTAssertEqual([odd.outputHeight, odd.padTop, odd.padBottom], [4, 1, 1])
  }

  func testMemberwiseGeometryKeepsDistinctKernelAndStridePerAxis() {
    let g = ConvolutionGeometry(
      inputHeight: 9, inputWidth: 8, kernelHeight: 3, kernelWidth: 5, strideHeight: 1, strideWidth: 2,
      padTop: 1, padLeft: 2, outputHeight: 9, outputWidth: 4)
    XCTAssertEqual(g.padBottom, 1)
    XCTAssertEqual(g.padRight, 1)
    XCTAssertEqual(g.interiorRows, 1..<8)
    XCTAssertEqual(g.interiorColumns, 1..<3)
  }

  func testInteriorColumnsAreThoseWithWholeWindowsInside() {
    let g = ConvolutionGeometry.symmetric(inputHeight: 7, inputWidth: 7, kernelSize: 3, stride: 1)
    XCTAssertEqual(g.interiorColumns, 1..<6)
    let tiny = ConvolutionGeometry.symmetric(inputHeight: 2, inputWidth: 2, kernelSize: 5, stride: 1)
    XCTAssertTrue(tiny.interiorColumns.isEmpty)
  }
}

final class ConvolutionTests: XCTestCase {
  private typealias Support = ConvolutionTestSupport

  private func check(
    batch: Int, inputChannels: Int, outputChannels: Int, groups: Int, geometry g: ConvolutionGeometry,
    activation: Activation, useBias: Bool, threads: Int, seed: UInt64, file: StaticString = #filePath,
    line: UInt = #line
  ) {
    let input = Support.randomValues(count: batch * g.inputHeight * g.inputWidth * inputChannels, seed: seed)
    let fanIn = inputChannels / groups * g.kernelHeight * g.kernelWidth
    let weights = Support.randomValues(
      count: outputChannels * fanIn, seed: seed &+ 1, scale: 1 / Float(fanIn).squareRoot())
    let bias = Support.randomValues(count: outputChannels, seed: seed &+ 2)
    let count = batch * g.outputHeight * g.outputWidth * outputChannels
    var expected = [Float](repeating: .nan, count: count)
    var actual = [Float](repeating: .nan, count: count)
    let packed = weights.withUnsafeBufferPointer {
      Convolution.packWeights(
        fromPyTorch: $0, outputChannels: outputChannels, inputChannels: inputChannels, groups: groups,
        kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth)
    }
    input.withUnsafeBufferPointer { input in
      bias.withUnsafeBufferPointer { bias in
        let biasOrNil = useBias ? bias : nil
        weights.withUnsafeBufferPointer { weights in
          expected.withUnsafeMutableBufferPointer { output in
            Convolution.convolveReference(
              input: input, batch: batch, inputChannels: inputChannels, outputChannels: outputChannels,
              groups: groups, geometry: g, pyTorchWeights: weights, bias: biasOrNil, activation: activation,
              output: output)
          }
        }
        packed.withUnsafeBufferPointer { weights in
          actual.withUnsafeMutableBufferPointer { output in
            Convolution.convolve(
              input: input, batch: batch, inputChannels: inputChannels, outputChannels: outputChannels,
              groups: groups, geometry: g, weights: weights, bias: biasOrNil, activation: activation,
              output: output, pool: ComputePool(threadCount: threads))
          }
        }
      }
    }
    let label = "N=\(batch) Cin=\(inputChannels) Cout=\(outputChannels) groups=\(groups) \(g) \(activation)"
    Support.assertClose(actual, expected, label + " threads=\(threads)", file: file, line: line)
  }

  func testFastConvolutionMatchesReferenceAtAwkwardSizes() {
    let sizes = [(1, 1), (2, 3), (3, 2), (7, 7), (8, 8), (9, 9), (17, 17), (8, 17)]
    // (Cin, Cout, groups): the stem, odd counts around 8, 16 and 32 output lanes, and grouped cases
    // whose per-group output count leaves a partly used vector.
    let channelSets = [
      (3, 32, 1), (1, 1, 1), (7, 9, 1), (8, 8, 1), (9, 17, 1), (16, 33, 1), (6, 9, 3), (8, 16, 8), (4, 40, 2),
      (2, 70, 1), (15, 15, 15),
    ]
    var seed: UInt64 = 7
    for kernel in [1, 3, 5, 7] {
      for stride in [1, 2] {
        for (index, (height, width)) in sizes.enumerated() {
          let tensorFlow = (index + kernel) % 2 == 0
          let geometry = Support.geometry(
            height: height, width: width, kernel: kernel, stride: stride, tensorFlow: tensorFlow)
          let (inputChannels, outputChannels, groups) = channelSets[
            (index * 3 + kernel + stride) % channelSets.count]
          seed &+= 3
          check(
            batch: index % 2 == 0 ? 1 : 3, inputChannels: inputChannels, outputChannels: outputChannels,
            groups: groups, geometry: geometry,
            activation: Activation.allCases[(index + kernel) % Activation.allCases.count],
            useBias: index % 3 != 2, threads: 1 + (index + stride) % 2, seed: seed)
        }
      }
    }
  }

  func testEveryChannelSetMatchesReferenceOnTheStemGeometry() {
    let channelSets = [
      (3, 32, 1), (1, 1, 1), (7, 9, 1), (8, 8, 1), (9, 17, 1), (16, 33, 1), (6, 9, 3), (8, 16, 8), (4, 40, 2),
      (2, 70, 1), (15, 15, 15),
    ]
    for (index, (inputChannels, outputChannels, groups)) in channelSets.enumerated() {
      for padding in 0..<2 {
        let geometry =
          padding == 0
          ? ConvolutionGeometry.symmetric(inputHeight: 9, inputWidth: 8, kernelSize: 3, stride: 2)
          : ConvolutionGeometry.tensorFlowSame(inputHeight: 9, inputWidth: 8, kernelSize: 3, stride: 2)
        check(
          batch: 3, inputChannels: inputChannels, outputChannels: outputChannels, groups: groups,
          geometry: geometry, activation: .silu, useBias: true, threads: 2,
          seed: UInt64(900 + 2 * index + padding))
      }
    }
  }

  func testReferenceMatchesHandComputedTwoByTwoKernels() {
    // One input channel 1...9 (3x3), two 2x2 filters, no padding, stride 1:
    // filter 0 = [1 0; 0 -1] gives x[i][j] - x[i+1][j+1] = -4; filter 1 = [0 1; 1 0] gives
    // x[i][j+1] + x[i+1][j] = 6, 8, 12, 14. Biases 1 and -10.
    let input: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    let weights: [Float] = [1, 0, 0, -1, 0, 1, 1, 0]
    let bias: [Float] = [1, -10]
    let geometry = ConvolutionGeometry(
      inputHeight: 3, inputWidth: 3, kernelHeight: 2, kernelWidth: 2, strideHeight: 1, strideWidth: 1,
      padTop: 0, padLeft: 0, outputHeight: 2, outputWidth: 2)
    let output = Self.runReference(
      input: input, inputChannels: 1, outputChannels: 2, groups: 1, geometry: geometry, weights: weights,
      bias: bias)
    XCTAssertEqual(output, [-3, -4, -3, -2, -3, 2, -3, 4])
  }

  func testReferenceMatchesHandComputedPaddedStrideTwo() {
    // All-ones 3x3 filter over 1...9 with PyTorch padding 1 and stride 2: the four corner windows.
    let input: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    let geometry = ConvolutionGeometry.symmetric(inputHeight: 3, inputWidth: 3, kernelSize: 3, stride: 2)
    let output = Self.runReference(
      input: input, inputChannels: 1, outputChannels: 1, groups: 1, geometry: geometry,
      weights: [Float](repeating: 1, count: 9), bias: nil)
    XCTAssertEqual(output, [12, 16, 24, 28])
  }

  func testReferenceKeepsGroupsApart() {
    // Two groups of one channel each, 1x1 kernel: output channel g = weight g × input channel g.
    let geometry = ConvolutionGeometry.symmetric(inputHeight: 1, inputWidth: 2, kernelSize: 1, stride: 1)
    let output = Self.runReference(
      input: [1, 10, 2, 20], inputChannels: 2, outputChannels: 2, groups: 2, geometry: geometry,
      weights: [2, 3], bias: nil)
    XCTAssertEqual(output, [2, 30, 4, 60])
  }

  func testPackedWeightsPutOutputChannelsInnermostPaddedToEight() {
    // Cout = 2, Cin = 1, 1x2 kernel: PyTorch [[a b], [c d]] -> [tap 0: a c 0 0 0 0 0 0, tap 1: b d 0 ...].
    let packed = [Float]([1, 2, 3, 4]).withUnsafeBufferPointer {
      Convolution.packWeights(
        fromPyTorch: $0, outputChannels: 2, inputChannels: 1, groups: 1, kernelHeight: 1, kernelWidth: 2)
    }
    XCTAssertEqual(packed, [1, 3, 0, 0, 0, 0, 0, 0, 2, 4, 0, 0, 0, 0, 0, 0])
  }

  private static func runReference(
    input: [Float], inputChannels: Int, outputChannels: Int, groups: Int, geometry: ConvolutionGeometry,
    weights: [Float], bias: [Float]?
  ) -> [Float] {
    var output = [Float](
      repeating: .nan, count: geometry.outputHeight * geometry.outputWidth * outputChannels)
    let biasValues = bias ?? []
    input.withUnsafeBufferPointer { input in
      weights.withUnsafeBufferPointer { weights in
        biasValues.withUnsafeBufferPointer { biasBuffer in
          output.withUnsafeMutableBufferPointer { output in
            Convolution.convolveReference(
              input: input, batch: 1, inputChannels: inputChannels, outputChannels: outputChannels,
              groups: groups, geometry: geometry, pyTorchWeights: weights,
              bias: bias == nil ? nil : biasBuffer,
              activation: .identity, output: output)
          }
        }
      }
    }
    return output
  }
}

// MARK: - Shared helpers for the depthwise, convolution, pooling and elementwise tests

/// Deterministic random data and closeness checks for comparing fast kernels with their twins.
enum ConvolutionTestSupport {
  /// "Same" padding the TensorFlow way (extra padding bottom/right) or PyTorch's symmetric `k / 2`.
  static func geometry(
    height: Int, width: Int, kernel: Int, stride: Int, tensorFlow: Bool
  ) -> ConvolutionGeometry {
    tensorFlow
      ? ConvolutionGeometry.tensorFlowSame(
        inputHeight: height, inputWidth: width, kernelSize: kernel, stride: stride)
      : ConvolutionGeometry.symmetric(
        inputHeight: height, inputWidth: width, kernelSize: kernel, stride: stride)
  }

  /// `count` values uniform in `[-scale, scale)`.
  static func randomValues(count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    SplitMix64.uniformFloats(count: count, seed: seed, scale: scale)
  }

  /// Asserts `|actual − expected| ≤ absolute + relative·|expected|` element by element (NaN matches
  /// NaN, infinities must be equal), reporting the first few mismatches.
  static func assertClose(
    _ actual: [Float], _ expected: [Float], relative: Float = 1e-5, absolute: Float = 1e-6,
    _ message: String, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(actual.count, expected.count, "count, " + message, file: file, line: line)
    var failures = 0
    for index in 0..<min(actual.count, expected.count) {
      let (a, e) = (actual[index], expected[index])
      if a.isNaN && e.isNaN { continue }
      if a.isInfinite || e.isInfinite {
        if a == e { continue }
      } else if abs(a - e) <= absolute + relative * abs(e) {
        continue
      }
      failures += 1
      if failures <= 5 {
        XCTFail("\(message): [\(index)] got \(a), expected \(e)", file: file, line: line)
      }
    }
    if failures > 5 { XCTFail("\(message): \(failures) mismatches in all", file: file, line: line) }
  }
}
