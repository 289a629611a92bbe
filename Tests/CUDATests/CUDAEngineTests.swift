import EfficientNetCUDA
import EfficientNetCore
import EfficientNetModels
import EfficientNetTestSupport
import XCTest

/// The CUDA inference engine against the CPU engine, its kernels' own source run on the CPU by the
/// stub driver: the shipped Lite0 (real weights, ReLU6, symmetric padding) and a TF-padded B0 with
/// deterministic weights (SiLU, squeeze-and-excitation, asymmetric "same" padding, residuals), batch
/// 2 at sizes that are no multiple of 32, on the project's own pointwise kernel and through (a stub)
/// cuBLAS: logits and pooled features within 1e-4.
final class CUDAEngineTests: XCTestCase {
  func testLogitsEqualTheCPUEngines() throws {
    let stub = try StubDriver.build()
    let device = try CUDADevice(driver: try CUDADriver(path: stub.path))
    let allocations = stub.liveAllocations
    let cases: [(String, EfficientNet, [Int])] = [
      ("shipped Lite0", try ImageClassifier.pretrainedLite0Model(), [2, 64, 72, 3]),
      (
        "tf_efficientnet_b0, deterministic",
        try DeterministicClassifiers.model(
          ModelRegistry.configuration(named: "tf_efficientnet_b0")), [2, 57, 70, 3]
      ),
    ]
    for (label, model, shape) in cases {
      let input = Tensor(
        shape: shape,
        values: DeterministicWeights.uniform(count: shape.reduce(1, *), name: label).map { Float(2 * $0) })
      let expected = try InferenceEngine(model: model).evaluate(input)
      let cublas = try StubDriver.buildCUBLAS()
      let productsBefore = cublas.cublasProducts.count
      for library in [nil, cublas.path] {
        let engine = try CUDAInferenceEngine(model: model, device: device, cublasLibrary: library)
        XCTAssertEqual(engine.cublas == nil, library == nil, engine.cublasNote ?? "")
        let (logits, pooled) = try engine.evaluate(input)
        let got = try XCTUnwrap(logits)
        XCTAssertEqual(got.shape, expected.logits?.shape)
        let logitDifference = zip(got.scalars, expected.logits!.scalars).map { abs($0 - $1) }.max()!
        let pooledDifference = zip(pooled.scalars, expected.pooledFeatures.scalars).map { abs($0 - $1) }
          .max()!
        let path = library == nil ? "own kernels" : "cuBLAS"
        XCTAssertLessThan(logitDifference, 1e-4, "\(label), \(path)")
        XCTAssertLessThan(pooledDifference, 1e-4, "\(label), \(path)")
        let spread = expected.logits!.scalars.map(abs).max()!
        XCTAssertGreaterThan(spread, 1e-2, "\(label): logits that say something")
        print("\(label), \(path): largest logit difference \(logitDifference), pooled \(pooledDifference)")
      }
      XCTAssertGreaterThan(cublas.cublasProducts.count, productsBefore, "the cuBLAS path ran products")
      XCTAssertEqual(cublas.cublasProducts.lastComputeType, 68, "strict fp32 by default")
    }
    XCTAssertEqual(stub.liveAllocations, allocations, "the engines' buffers are freed with them")
  }

  /// After the first evaluation of a shape, evaluations allocate nothing and give the same bits; a
  /// larger shape grows the buffers and still answers as the CPU does.
  func testBuffersAreReusedFromCallToCall() throws {
    let stub = try StubDriver.build()
    let device = try CUDADevice(driver: try CUDADriver(path: stub.path))
    let model = try ImageClassifier.pretrainedLite0Model()
    let engine = try CUDAInferenceEngine(model: model, device: device, cublasLibrary: nil)
    func input(_ shape: [Int]) -> Tensor {
      Tensor(
        shape: shape,
        values: DeterministicWeights.uniform(count: shape.reduce(1, *), name: "\(shape)").map(Float.init))
    }
    let small = input([1, 48, 40, 3])
    let first = try engine.evaluate(small).logits
    let allocations = stub.liveAllocations
    let second = try engine.evaluate(small).logits
    XCTAssertEqual(stub.liveAllocations, allocations, "the second call allocates nothing")
    XCTAssertEqual(first, second)
    let large = input([2, 64, 64, 3])
    let expected = try InferenceEngine(model: model).evaluate(large).logits!
    let got = try XCTUnwrap(try engine.evaluate(large).logits)
    XCTAssertLessThan(zip(got.scalars, expected.scalars).map { abs($0 - $1) }.max()!, 1e-4)
    let again = try XCTUnwrap(try engine.evaluate(small).logits)
    XCTAssertEqual(again, first, "a smaller shape after a larger one, in the grown buffers")
  }
}
