import EfficientNetKernels
import XCTest

/// The fused expansion + depthwise kernel gives what the two kernels give one after the other,
/// through the whole expanded tensor (to the last bit): values and channel sums, at awkward sizes, both
/// strides and kernel sizes, both paddings, batches of 1 and 3, one and two threads, and bands
/// that split the rows unevenly.
final class ExpandedDepthwiseTests: XCTestCase {
  private typealias Support = ConvolutionTestSupport

  private func check(
    batch: Int, inputChannels: Int, channels: Int, geometry g: ConvolutionGeometry, threads: Int,
    seed: UInt64, file: StaticString = #filePath, line: UInt = #line
  ) {
    let pixels = g.inputHeight * g.inputWidth
    let input = Support.randomValues(count: batch * pixels * inputChannels, seed: seed)
    let expansionWeights = Support.randomValues(
      count: channels * inputChannels, seed: seed &+ 1, scale: 1 / Float(inputChannels).squareRoot())
    let expansionBias = Support.randomValues(count: channels, seed: seed &+ 2)
    let pyTorchWeights = Support.randomValues(
      count: channels * g.kernelHeight * g.kernelWidth, seed: seed &+ 3, scale: 0.3)
    let bias = Support.randomValues(count: channels, seed: seed &+ 4)
    let packedDepthwise = pyTorchWeights.withUnsafeBufferPointer {
      DepthwiseConvolution.packWeights(
        fromPyTorch: $0, channels: channels, kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth)
    }
    let expansion = expansionWeights.withUnsafeBufferPointer {
      PackedWeights(outputMajor: $0, outputCount: channels, inputCount: inputChannels)
    }
    let pool = ComputePool(threadCount: threads)
    let outputCount = batch * g.outputHeight * g.outputWidth * channels
    var expanded = [Float](repeating: .nan, count: batch * pixels * channels)
    var expected = [Float](repeating: .nan, count: outputCount)
    var expectedSums = [Float](repeating: .nan, count: batch * channels)
    var actual = [Float](repeating: .nan, count: outputCount)
    var actualSums = [Float](repeating: .nan, count: batch * channels)
    let scratchCount =
      DepthwiseConvolution.fusedTaskCount(batch: batch, geometry: g, pool: pool)
      * DepthwiseConvolution.fusedScratchPerTask(geometry: g, channels: channels)
    var scratch = [Float](repeating: .nan, count: scratchCount)
    input.withUnsafeBufferPointer { input in
      expansionBias.withUnsafeBufferPointer { expansionBias in
        packedDepthwise.withUnsafeBufferPointer { weights in
          bias.withUnsafeBufferPointer { bias in
            expanded.withUnsafeMutableBufferPointer { expanded in
              GEMM.multiply(
                rows: batch * pixels, input: input.baseAddress!, inputRowStride: inputChannels,
                inputScale: nil,
                weights: expansion, bias: expansionBias.baseAddress, activation: .silu, residual: nil,
                residualRowStride: 0, output: expanded.baseAddress!, outputRowStride: channels, pool: pool)
              expectedSums.withUnsafeMutableBufferPointer { sums in
                expected.withUnsafeMutableBufferPointer {
                  DepthwiseConvolution.convolve(
                    input: UnsafeBufferPointer(expanded), batch: batch, channels: channels, geometry: g,
                    weights: weights, bias: bias, activation: .silu, output: $0,
                    channelSums: sums.baseAddress,
                    pool: pool)
                }
              }
            }
            actualSums.withUnsafeMutableBufferPointer { sums in
              actual.withUnsafeMutableBufferPointer { output in
                scratch.withUnsafeMutableBufferPointer { scratch in
                  DepthwiseConvolution.expandAndConvolve(
                    input: input.baseAddress!, batch: batch, inputChannels: inputChannels,
                    expansion: expansion,
                    expansionBias: expansionBias.baseAddress, channels: channels, geometry: g,
                    weights: weights,
                    bias: bias, activation: .silu, output: output, channelSums: sums.baseAddress,
                    scratch: scratch.baseAddress!, pool: pool)
                }
              }
            }
          }
        }
      }
    }
    // Rows of the expansion fall into other GEMM tiles when expanded band by band, and a tile's edge
    // rows accumulate in another order: the last bit may differ, nothing more.
    func worst(_ left: [Float], _ right: [Float]) -> Float {
      zip(left, right).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
    }
    XCTAssertFalse(actual.contains { $0.isNaN }, "an output was not written", file: file, line: line)
    XCTAssertLessThanOrEqual(worst(actual, expected), 1e-5, "outputs differ", file: file, line: line)
    XCTAssertLessThanOrEqual(
      worst(actualSums, expectedSums), 1e-5, "channel sums differ", file: file, line: line)
  }

  func testFusedKernelEqualsExpansionThenDepthwiseExactly() {
    var seed: UInt64 = 1
    for (height, width) in [(1, 1), (7, 5), (13, 11), (30, 17)] {
      for (kernel, stride) in [(3, 1), (3, 2), (5, 1), (5, 2)] {
        for tensorFlow in [false, true] {
          let g = Support.geometry(
            height: height, width: width, kernel: kernel, stride: stride, tensorFlow: tensorFlow)
          for (batch, threads) in [(1, 1), (1, 2), (3, 2)] {
            check(batch: batch, inputChannels: 5, channels: 24, geometry: g, threads: threads, seed: seed)
            seed &+= 5
          }
        }
      }
    }
  }

  func testWideRowsSplitIntoSeveralBandsStillMatch() {
    // 96 channels × 112 columns: one output row per band at stride 2, so the kept-row path runs.
    let g = ConvolutionGeometry.symmetric(inputHeight: 20, inputWidth: 112, kernelSize: 3, stride: 2)
    XCTAssertEqual(DepthwiseConvolution.fusedBandRows(geometry: g, channels: 96), 1)
    check(batch: 1, inputChannels: 16, channels: 96, geometry: g, threads: 2, seed: 99)
    let s1 = ConvolutionGeometry.symmetric(inputHeight: 23, inputWidth: 56, kernelSize: 5, stride: 1)
    XCTAssertGreaterThan(DepthwiseConvolution.fusedBandRows(geometry: s1, channels: 144), 1)
    check(batch: 2, inputChannels: 24, channels: 144, geometry: s1, threads: 2, seed: 7)
  }
}
