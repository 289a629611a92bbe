import EfficientNetKernels
import XCTest

final class DepthwiseTests: XCTestCase {
  private typealias Support = ConvolutionTestSupport

  /// Runs the fast kernel and its twin on one shape and compares outputs and channel sums.
  private func check(
    batch: Int, channels: Int, geometry: ConvolutionGeometry, activation: Activation, useBias: Bool,
    threads: Int, seed: UInt64, file: StaticString = #filePath, line: UInt = #line
  ) {
    let g = geometry
    let input = Support.randomValues(count: batch * g.inputHeight * g.inputWidth * channels, seed: seed)
    let scale = 1 / Float(g.kernelHeight * g.kernelWidth).squareRoot()
    let pyTorchWeights = Support.randomValues(
      count: channels * g.kernelHeight * g.kernelWidth, seed: seed &+ 1, scale: scale)
    let bias = Support.randomValues(count: channels, seed: seed &+ 2)
    let outputCount = batch * g.outputHeight * g.outputWidth * channels
    var expected = [Float](repeating: .nan, count: outputCount)
    var expectedSums = [Float](repeating: .nan, count: batch * channels)
    var actual = [Float](repeating: .nan, count: outputCount)
    var actualSums = [Float](repeating: .nan, count: batch * channels)
    let packed = pyTorchWeights.withUnsafeBufferPointer {
      DepthwiseConvolution.packWeights(
        fromPyTorch: $0, channels: channels, kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth)
    }
    let pool = ComputePool(threadCount: threads)
    input.withUnsafeBufferPointer { input in
      bias.withUnsafeBufferPointer { bias in
        let biasOrNil = useBias ? bias : nil
        pyTorchWeights.withUnsafeBufferPointer { weights in
          expected.withUnsafeMutableBufferPointer { output in
            expectedSums.withUnsafeMutableBufferPointer { sums in
              DepthwiseConvolution.convolveReference(
                input: input, batch: batch, channels: channels, geometry: g, pyTorchWeights: weights,
                bias: biasOrNil, activation: activation, output: output, channelSums: sums.baseAddress)
            }
          }
        }
        packed.withUnsafeBufferPointer { weights in
          actual.withUnsafeMutableBufferPointer { output in
            actualSums.withUnsafeMutableBufferPointer { sums in
              DepthwiseConvolution.convolve(
                input: input, batch: batch, channels: channels, geometry: g, weights: weights,
                bias: biasOrNil, activation: activation, output: output, channelSums: sums.baseAddress,
                pool: pool)
            }
          }
        }
      }
    }
    let label = "N=\(batch) C=\(channels) \(g) \(activation) bias=\(useBias) threads=\(threads)"
    Support.assertClose(actual, expected, label, file: file, line: line)
    // A sum of P values differs from the twin's by the order of its roundings: allow 1e-6 per value.
    let pixels = Float(g.outputHeight * g.outputWidth)
    Support.assertClose(
      actualSums, expectedSums, absolute: 1e-6 * pixels, "channel sums, " + label, file: file, line: line)
  }

  func testFastKernelMatchesReferenceAtAwkwardSizes() {
    let sizes = [(1, 1), (2, 3), (3, 2), (7, 7), (8, 8), (9, 9), (17, 17), (7, 9), (8, 17), (17, 2)]
    let channelCounts = [1, 7, 8, 9, 15, 16, 17, 33]
    var seed: UInt64 = 1
    for kernel in [1, 3, 5, 7] {
      for stride in [1, 2] {
        for (sizeIndex, (height, width)) in sizes.enumerated() {
          for tensorFlow in [false, true] {
            let geometry = Support.geometry(
              height: height, width: width, kernel: kernel, stride: stride, tensorFlow: tensorFlow)
            // Every channel count meets every specialized shape; batch, threads, bias and activation
            // rotate so that each combination also appears.
            let channels = channelCounts[(sizeIndex + (tensorFlow ? 3 : 0) + kernel) % channelCounts.count]
            let activation = Activation.allCases[(sizeIndex + kernel) % Activation.allCases.count]
            seed &+= 3
            check(
              batch: sizeIndex % 2 == 0 ? 1 : 3, channels: channels, geometry: geometry,
              activation: activation, useBias: sizeIndex % 3 != 1, threads: 1 + sizeIndex % 2, seed: seed)
          }
        }
      }
    }
  }

  func testEveryChannelCountMatchesReferenceForEachSpecializedKernel() {
    var seed: UInt64 = 1000
    for (kernel, stride) in [(3, 1), (3, 2), (5, 1), (5, 2)] {
      for channels in [1, 7, 8, 9, 15, 16, 17, 33] {
        for threads in [1, 2] {
          seed &+= 3
          let geometry = ConvolutionGeometry.symmetric(
            inputHeight: 9, inputWidth: 17, kernelSize: kernel, stride: stride)
          check(
            batch: 3, channels: channels, geometry: geometry, activation: .silu, useBias: true,
            threads: threads, seed: seed)
        }
      }
    }
  }

  func testUnevenKernelsStridesAndPaddingMatchReference() {
    let shapes = [
      ConvolutionGeometry(
        inputHeight: 9, inputWidth: 8, kernelHeight: 3, kernelWidth: 5, strideHeight: 1, strideWidth: 2,
        padTop: 1, padLeft: 2, outputHeight: 9, outputWidth: 4),
      ConvolutionGeometry(
        inputHeight: 7, inputWidth: 17, kernelHeight: 5, kernelWidth: 3, strideHeight: 2, strideWidth: 1,
        padTop: 0, padLeft: 0, outputHeight: 2, outputWidth: 15),
      ConvolutionGeometry(
        inputHeight: 17, inputWidth: 17, kernelHeight: 3, kernelWidth: 3, strideHeight: 3, strideWidth: 3,
        padTop: 1, padLeft: 1, outputHeight: 6, outputWidth: 6),
      // Padding wider than the kernel reach: whole output rows and columns see only the bias.
      ConvolutionGeometry(
        inputHeight: 3, inputWidth: 3, kernelHeight: 3, kernelWidth: 3, strideHeight: 1, strideWidth: 1,
        padTop: 4, padLeft: 4, outputHeight: 9, outputWidth: 9),
    ]
    for (index, geometry) in shapes.enumerated() {
      for threads in [1, 2] {
        check(
          batch: 3, channels: 17, geometry: geometry, activation: .relu6, useBias: true, threads: threads,
          seed: UInt64(500 + index))
      }
    }
  }

  func testWideChannelCountsSweepingRowsPerChannelSliceMatchReference() {
    // Above 24 KiB of weights (KH·KW·C floats) the kernel switches loop order: these shapes take the
    // per-channel-slice row sweep, with 16-lane, 8-lane and single-channel tails.
    let cases = [(5, 1, 265), (5, 2, 265), (3, 1, 700), (3, 2, 700), (7, 2, 131)]
    for (index, (kernel, stride, channels)) in cases.enumerated() {
      let geometry = ConvolutionGeometry.symmetric(
        inputHeight: 9, inputWidth: 17, kernelSize: kernel, stride: stride)
      check(
        batch: 2, channels: channels, geometry: geometry, activation: .silu, useBias: true,
        threads: 1 + index % 2, seed: UInt64(300 + index))
    }
  }

  func testSmallMapsThroughTheZeroPaddedSliceKernelMatchReference() {
    // Small maps with channels in multiples of 8 take the padded-slice kernel: B0/Lite0's last
    // stages (7x7 and 14x14, up to 1152 channels), a 24-channel slice tail of 8, TensorFlow's
    // asymmetric padding, stride 2 from four to 14 columns, and the 20- and 40-column limits.
    let cases: [(Int, Int, Int, Int, Int, Bool)] = [
      // (height, width, kernel, stride, channels, TensorFlow padding)
      (7, 7, 5, 1, 1152, false), (7, 7, 3, 1, 1152, false), (14, 14, 5, 1, 40, false),
      (14, 14, 5, 2, 24, true), (8, 8, 3, 2, 8, false), (9, 11, 3, 2, 56, true), (16, 16, 3, 1, 16, false),
      (4, 4, 5, 1, 32, true), (6, 27, 5, 2, 24, false), (5, 20, 3, 1, 16, false), (9, 40, 5, 1, 8, true),
    ]
    for (index, (height, width, kernel, stride, channels, tensorFlow)) in cases.enumerated() {
      let geometry = Support.geometry(
        height: height, width: width, kernel: kernel, stride: stride, tensorFlow: tensorFlow)
      XCTAssertTrue(
        DepthwiseConvolution.usesPaddedSlices(geometry: geometry, channels: channels),
        "\(geometry) C=\(channels)")
      for threads in [1, 2] {
        check(
          batch: index % 2 == 0 ? 1 : 3, channels: channels, geometry: geometry,
          activation: Activation.allCases[index % Activation.allCases.count], useBias: index % 4 != 3,
          threads: threads, seed: UInt64(900 + index))
      }
    }
  }

  func testWideMapsOddChannelsAndOtherKernelsStayOnTheRowKernel() {
    let rowKernelShapes: [(Int, Int, Int, Int)] = [
      // (width, kernel, stride, channels)
      (21, 3, 1, 16), (30, 3, 2, 16), (41, 5, 1, 16), (30, 5, 2, 16), (7, 5, 1, 12), (7, 7, 1, 16),
      (3, 3, 1, 16),
    ]
    for (width, kernel, stride, channels) in rowKernelShapes {
      let geometry = ConvolutionGeometry.symmetric(
        inputHeight: 5, inputWidth: width, kernelSize: kernel, stride: stride)
      XCTAssertFalse(
        DepthwiseConvolution.usesPaddedSlices(geometry: geometry, channels: channels),
        "\(geometry) C=\(channels)")
    }
  }

  func testWideRowsActivatedBlockByBlockMatchReference() {
    // Rows over 16 KB with small weights apply the activation to each block of columns as soon as it
    // is done (ReLU6 and SiLU, with and without channel sums, an 8-channel tail, a shifted last block).
    let cases: [(Int, Int, Int, Int, Int, Activation)] = [
      // (height, width, kernel, stride, channels, activation)
      (5, 66, 3, 1, 72, .relu6), (6, 66, 3, 1, 72, .silu), (9, 41, 5, 2, 232, .relu6),
      (7, 63, 3, 1, 88, .sigmoid),
    ]
    for (index, (height, width, kernel, stride, channels, activation)) in cases.enumerated() {
      let geometry = ConvolutionGeometry.symmetric(
        inputHeight: height, inputWidth: width, kernelSize: kernel, stride: stride)
      XCTAssertGreaterThan(geometry.outputWidth * channels * 4, 16 * 1024)
      XCTAssertFalse(DepthwiseConvolution.usesPaddedSlices(geometry: geometry, channels: channels))
      for threads in [1, 2] {
        check(
          batch: 1 + index % 2, channels: channels, geometry: geometry, activation: activation,
          useBias: true, threads: threads, seed: UInt64(1200 + index))
      }
    }
  }

  func testEfficientNetShapeAtReducedSizeMatchesReference() {
    // A B0 stage-4 shape (5x5, stride 2, 240 channels) with the 2-thread row split.
    let geometry = ConvolutionGeometry.symmetric(inputHeight: 28, inputWidth: 28, kernelSize: 5, stride: 2)
    check(
      batch: 1, channels: 240, geometry: geometry, activation: .silu, useBias: true, threads: 2, seed: 77)
  }

  func testReferenceMatchesHandComputedThreeByThree() {
    // One channel, input 1...9 in a 3x3 grid, all-ones 3x3 kernel, zero padding 1, bias 0.5:
    // each output is 0.5 + the sum of its 3x3 neighbourhood.
    let input: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    let weights = [Float](repeating: 1, count: 9)
    let bias: [Float] = [0.5]
    let geometry = ConvolutionGeometry.symmetric(inputHeight: 3, inputWidth: 3, kernelSize: 3, stride: 1)
    var output = [Float](repeating: 0, count: 9)
    var sums: [Float] = [0]
    input.withUnsafeBufferPointer { input in
      weights.withUnsafeBufferPointer { weights in
        bias.withUnsafeBufferPointer { bias in
          output.withUnsafeMutableBufferPointer { output in
            sums.withUnsafeMutableBufferPointer { sums in
              DepthwiseConvolution.convolveReference(
                input: input, batch: 1, channels: 1, geometry: geometry, pyTorchWeights: weights,
                bias: bias, activation: .identity, output: output, channelSums: sums.baseAddress)
            }
          }
        }
      }
    }
    XCTAssertEqual(output, [12.5, 21.5, 16.5, 27.5, 45.5, 33.5, 24.5, 39.5, 28.5])
    XCTAssertEqual(sums, [249.5])
  }

  func testReferenceKeepsChannelsApartAndAppliesStrideAndActivation() {
    // Two channels interleaved (NHWC), 2x2 kernel, stride 2, no padding, ReLU.
    // Channel 0 = 1...16 with weights [1 0; 0 1] (top-left + bottom-right);
    // channel 1 = -(1...16) with weights [1 1; 1 1] plus bias 100.
    var input = [Float](repeating: 0, count: 32)
    for index in 0..<16 {
      input[2 * index] = Float(index + 1)
      input[2 * index + 1] = -Float(index + 1)
    }
    let pyTorchWeights: [Float] = [1, 0, 0, 1, 1, 1, 1, 1]
    let bias: [Float] = [0, 100]
    let geometry = ConvolutionGeometry(
      inputHeight: 4, inputWidth: 4, kernelHeight: 2, kernelWidth: 2, strideHeight: 2, strideWidth: 2,
      padTop: 0, padLeft: 0, outputHeight: 2, outputWidth: 2)
    var output = [Float](repeating: 0, count: 8)
    input.withUnsafeBufferPointer { input in
      pyTorchWeights.withUnsafeBufferPointer { weights in
        bias.withUnsafeBufferPointer { bias in
          output.withUnsafeMutableBufferPointer { output in
            DepthwiseConvolution.convolveReference(
              input: input, batch: 1, channels: 2, geometry: geometry, pyTorchWeights: weights, bias: bias,
              activation: .relu, output: output)
          }
        }
      }
    }
    // Channel 0: 1+6, 3+8, 9+14, 11+16. Channel 1: 100 - (1+2+5+6) = 86, 100 - (3+4+7+8) = 78,
    // 100 - (9+10+13+14) = 54, 100 - (11+12+15+16) = 46.
    XCTAssertEqual(output, [7, 86, 11, 78, 23, 54, 27, 46])
  }

  func testPackWeightsMovesChannelsInnermost() {
    // PyTorch [C=2, 1, KH=1, KW=3]: channel 0 = 1,2,3; channel 1 = 4,5,6.
    let weights: [Float] = [1, 2, 3, 4, 5, 6]
    let packed = weights.withUnsafeBufferPointer {
      DepthwiseConvolution.packWeights(fromPyTorch: $0, channels: 2, kernelHeight: 1, kernelWidth: 3)
    }
    XCTAssertEqual(packed, [1, 4, 2, 5, 3, 6])
  }
}
