import EfficientNetKernels
import XCTest

final class PoolingTests: XCTestCase {
  private typealias Support = ConvolutionTestSupport

  func testGlobalAveragePoolMatchesReferenceAtAwkwardSizes() {
    var seed: UInt64 = 40
    for batch in [1, 3] {
      for pixels in [1, 2, 7, 9, 49, 289] {
        for channels in [1, 7, 8, 9, 15, 16, 17, 33] {
          seed &+= 1
          let input = Support.randomValues(count: batch * pixels * channels, seed: seed)
          var expected = [Float](repeating: .nan, count: batch * channels)
          var actual = expected
          input.withUnsafeBufferPointer { input in
            expected.withUnsafeMutableBufferPointer {
              Pooling.globalAveragePoolReference(
                input: input, batch: batch, pixels: pixels, channels: channels, output: $0)
            }
            actual.withUnsafeMutableBufferPointer {
              Pooling.globalAveragePool(
                input: input, batch: batch, pixels: pixels, channels: channels, output: $0,
                pool: ComputePool(threadCount: batch == 1 ? 1 : 2))
            }
          }
          Support.assertClose(actual, expected, "N=\(batch) P=\(pixels) C=\(channels)")
        }
      }
    }
  }

  func testGlobalAveragePoolOfKnownValues() {
    // Two images, two pixels, two channels: means of (1, 3) and (10, 30); then (-2, 2) and (5, 5).
    let input: [Float] = [1, 10, 3, 30, -2, 5, 2, 5]
    var output = [Float](repeating: 0, count: 4)
    input.withUnsafeBufferPointer { input in
      output.withUnsafeMutableBufferPointer {
        Pooling.globalAveragePool(input: input, batch: 2, pixels: 2, channels: 2, output: $0)
      }
    }
    XCTAssertEqual(output, [2, 20, 0, 5])
  }
}
