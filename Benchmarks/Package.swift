// swift-tools-version:6.0
import PackageDescription

// Benchmarks live in their own package so the library never depends on the harness.
#if arch(x86_64)
  let vectorFlags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
  let vectorFlags: [SwiftSetting] = []
#endif

let package = Package(
  name: "swift-efficientnet-benchmarks",
  platforms: [.macOS(.v13)],
  dependencies: [.package(name: "swift-efficientnet", path: "..")],
  targets: [
    // Timing, argument and file helpers the benchmarks share.
    .target(name: "BenchmarkSupport"),
    .executableTarget(
      name: "ImagePipelineBenchmark",
      dependencies: [.product(name: "EfficientNetImageIO", package: "swift-efficientnet")],
      swiftSettings: vectorFlags),
    .executableTarget(
      name: "TrainingStepAllocations",
      dependencies: [
        .product(name: "EfficientNetTraining", package: "swift-efficientnet"),
        .product(name: "EfficientNetModels", package: "swift-efficientnet"),
        .product(name: "EfficientNetCore", package: "swift-efficientnet"),
      ],
      swiftSettings: vectorFlags),
    // Decode speed on real images (formerly a skipped test in ImageIOTests).
    .executableTarget(
      name: "DecodingThroughput",
      dependencies: [
        "BenchmarkSupport", .product(name: "EfficientNetImageIO", package: "swift-efficientnet"),
      ],
      swiftSettings: vectorFlags),
    // Data-loader speed on real data (formerly a wall-clock test in TrainingTests).
    .executableTarget(
      name: "DataLoaderThroughput",
      dependencies: [
        "BenchmarkSupport", .product(name: "EfficientNetTraining", package: "swift-efficientnet"),
      ],
      swiftSettings: vectorFlags),
  ],
  swiftLanguageModes: [.v5]
)
