// swift-tools-version:6.0
import PackageDescription

// MARK: - Build settings

/// Kernels are written with `SIMD8<Float>`; without a target CPU, swiftc does not lower them to vector
/// FMAs on x86-64 (about 140x slower). Haswell (AVX2 + FMA) is the x86-64 baseline we compile for;
/// set EFFICIENTNET_TARGET_CPU (for example `native` or `znver4`) to pick another. arm64 needs no flag:
/// NEON is always there.
#if arch(x86_64)
  let targetCPU = Context.environment["EFFICIENTNET_TARGET_CPU"] ?? "haswell"
  let vectorFlags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", targetCPU])]
#else
  let vectorFlags: [SwiftSetting] = []
#endif

let kernelSettings: [SwiftSetting] =
  vectorFlags + [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
  ]

// MARK: - Package

let package = Package(
  name: "swift-efficientnet",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "EfficientNetModels", targets: ["EfficientNetModels"]),
    .library(name: "EfficientNetCore", targets: ["EfficientNetCore"]),
    .library(name: "WeightIO", targets: ["WeightIO"]),
    .library(name: "EfficientNetFiles", targets: ["EfficientNetFiles"]),
    .library(name: "EfficientNetImageIO", targets: ["EfficientNetImageIO"]),
    .library(name: "EfficientNetKernels", targets: ["EfficientNetKernels"]),
    .library(name: "EfficientNetLayers", targets: ["EfficientNetLayers"]),
    .library(name: "EfficientNetTraining", targets: ["EfficientNetTraining"]),
    .library(name: "EfficientNetSearch", targets: ["EfficientNetSearch"]),
    .library(name: "EfficientNetHub", targets: ["EfficientNetHub"]),
    .library(name: "EfficientNetDetection", targets: ["EfficientNetDetection"]),
    .library(name: "EfficientNetPlots", targets: ["EfficientNetPlots"]),
    .library(name: "EfficientNetExport", targets: ["EfficientNetExport"]),
    .library(name: "EfficientNetServing", targets: ["EfficientNetServing"]),
    .library(name: "EfficientNetServer", targets: ["EfficientNetServer"]),
    .library(name: "EfficientNetCUDA", targets: ["EfficientNetCUDA"]),
    .executable(name: "efficientnet", targets: ["EfficientNetCLI"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    // ONNX's protobuf messages (Swift generated once by Scripts/generate-onnx-schema.sh, committed).
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    // `efficientnet serve`: the HTTP server, its graceful shutdown and its Prometheus metrics.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
  ],
  targets: [
    // MARK: Library
    .target(name: "EfficientNetKernels", swiftSettings: kernelSettings),
    .target(name: "EfficientNetCore", dependencies: ["EfficientNetKernels"], swiftSettings: kernelSettings),
    // Layer operations over the kernels (forward, backward, folded form), one buffer type, one timer.
    .target(
      name: "EfficientNetLayers", dependencies: ["EfficientNetCore", "EfficientNetKernels"],
      swiftSettings: kernelSettings),
    // Reading only regular files, and writing atomically over nothing but regular files.
    .target(name: "EfficientNetFiles"),
    .target(name: "WeightIO", dependencies: ["EfficientNetFiles"], swiftSettings: vectorFlags),
    // SVG charts in pure Swift: line charts, panels, confusion matrices and ROC curves.
    .target(name: "EfficientNetPlots", dependencies: ["EfficientNetFiles"]),
    // C shims over libjpeg(-turbo) and libpng: their errors longjmp, which Swift cannot cross.
    .target(
      name: "CImageCodecs",
      linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png"), .linkedLibrary("z")]),
    .target(
      name: "EfficientNetImageIO",
      dependencies: ["CImageCodecs", "EfficientNetCore", "EfficientNetKernels", "EfficientNetFiles"],
      swiftSettings: kernelSettings),
    .target(
      name: "EfficientNetModels",
      dependencies: [
        "EfficientNetCore", "EfficientNetKernels", "EfficientNetLayers", "WeightIO", "EfficientNetImageIO",
      ],
      resources: [.copy("Resources")],
      swiftSettings: kernelSettings),

    .target(
      name: "EfficientNetTraining",
      dependencies: [
        "EfficientNetModels", "EfficientNetCore", "EfficientNetKernels", "EfficientNetLayers",
        "EfficientNetImageIO", "WeightIO", "CImageCodecs", "EfficientNetFiles", "EfficientNetPlots",
      ],
      swiftSettings: kernelSettings),

    // The compound-scaling grid search (trains candidates with EfficientNetTraining).
    .target(
      name: "EfficientNetSearch",
      dependencies: ["EfficientNetTraining", "EfficientNetModels", "EfficientNetFiles", "EfficientNetPlots"],
      swiftSettings: vectorFlags),

    // Published weights by name: the catalog, SHA-256, the cache, resumable downloads, conversion.
    .target(
      name: "EfficientNetHub",
      dependencies: ["EfficientNetModels", "EfficientNetImageIO", "WeightIO", "EfficientNetFiles"],
      swiftSettings: vectorFlags),

    // EfficientDet on the EfficientNet backbones: the family, its layout (effdet's names) and costs.
    .target(
      name: "EfficientNetDetection",
      dependencies: [
        "EfficientNetModels", "EfficientNetCore", "EfficientNetKernels", "EfficientNetLayers", "WeightIO",
        "EfficientNetImageIO", "EfficientNetTraining", "EfficientNetPlots",
      ],
      swiftSettings: vectorFlags),

    // ONNX's schema as Swift types, generated from the onnx wheel's onnx.proto (Apache-2.0).
    .target(
      name: "ONNXSchema", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
      exclude: ["LICENSE-ONNX.txt"]),

    // Export to ONNX: classifiers and detectors as plain ONNX operators, with preprocessing metadata.
    .target(
      name: "EfficientNetExport",
      dependencies: [
        "ONNXSchema", "EfficientNetModels", "EfficientNetDetection", "EfficientNetLayers", "EfficientNetCore",
        "EfficientNetImageIO", "EfficientNetKernels", "EfficientNetFiles",
      ],
      swiftSettings: vectorFlags),

    // Serving without HTTP: dynamic batching onto one engine per model, the answers' JSON, the Open
    // Inference Protocol's messages and multipart bodies.
    .target(
      name: "EfficientNetServing",
      dependencies: [
        "EfficientNetModels", "EfficientNetImageIO", "EfficientNetCore", "EfficientNetDetection",
      ],
      swiftSettings: vectorFlags),

    // The HTTP server on Hummingbird 2: routes, limits, tokens, metrics, graceful shutdown.
    .target(
      name: "EfficientNetServer",
      dependencies: [
        "EfficientNetServing", "EfficientNetModels", "EfficientNetImageIO", "EfficientNetCore",
        "EfficientNetDetection",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "NIOCore", package: "swift-nio"),
        "EfficientNetKernels",
      ],
      swiftSettings: vectorFlags),

    // The CUDA driver API loaded at run time (dlopen), device memory, modules, launches, and the
    // project's kernels as an embedded fatbin (compiled offline by Scripts/compile-cuda-kernels.sh).
    .target(
      name: "EfficientNetCUDA",
      dependencies: ["EfficientNetModels", "EfficientNetCore", "EfficientNetKernels"],
      swiftSettings: vectorFlags),

    // MARK: Command-line tool
    .executableTarget(
      name: "EfficientNetCLI",
      dependencies: [
        "EfficientNetModels", "WeightIO", "EfficientNetCore", "EfficientNetImageIO", "EfficientNetLayers",
        "EfficientNetTraining",
        "EfficientNetSearch", "EfficientNetFiles", "EfficientNetHub", "EfficientNetDetection",
        "EfficientNetPlots", "EfficientNetExport", "EfficientNetServing", "EfficientNetServer",
        "EfficientNetCUDA",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: vectorFlags),

    // MARK: Tests
    // Helpers several test targets share (temporary folders, fixture and ../shared locating, seeded
    // generators, byte orders, tolerance asserts); only test targets depend on it.
    .target(
      name: "EfficientNetTestSupport",
      dependencies: ["EfficientNetCore", "WeightIO", "EfficientNetDetection", "EfficientNetModels"],
      path: "Tests/TestSupport",
      swiftSettings: vectorFlags),
    .testTarget(
      name: "CLITests",
      dependencies: [
        "EfficientNetCLI", "EfficientNetCUDA", "EfficientNetHub", "WeightIO", "EfficientNetTestSupport",
        "EfficientNetDetection",
        "EfficientNetImageIO", "EfficientNetCore",
      ],
      swiftSettings: vectorFlags),
    // Every class of hostile input the adversarial run found, each built by its test (no large files).
    .testTarget(
      name: "HostileInputTests",
      dependencies: [
        "EfficientNetCLI", "EfficientNetFiles", "WeightIO", "EfficientNetImageIO", "EfficientNetModels",
        "EfficientNetTraining", "EfficientNetTestSupport",
      ],
      swiftSettings: vectorFlags),
    .testTarget(
      name: "ServingTests",
      dependencies: [
        "EfficientNetServing", "EfficientNetModels", "EfficientNetImageIO", "EfficientNetCore",
        "EfficientNetTestSupport",
      ],
      swiftSettings: vectorFlags),
    // The server on a real socket on 127.0.0.1, driven by a small HTTP/1.1 client of the tests' own.
    .testTarget(
      name: "ServerTests",
      dependencies: [
        "EfficientNetServer", "EfficientNetServing", "EfficientNetModels", "EfficientNetImageIO",
        "EfficientNetCore", "EfficientNetDetection", "EfficientNetTestSupport",
      ],
      swiftSettings: vectorFlags),
    // The CUDA binding against a stub libcuda.so.1 the tests compile from Stub/cuda_stub.c.
    .testTarget(
      name: "CUDATests",
      dependencies: [
        "EfficientNetCUDA", "EfficientNetTestSupport", "EfficientNetModels", "EfficientNetCore", "WeightIO",
      ],
      exclude: ["Stub"],
      swiftSettings: vectorFlags),
    // Exported ONNX models checked by onnx and ONNX Runtime (a Python helper in Fixtures).
    .testTarget(
      name: "ExportTests",
      dependencies: [
        "EfficientNetExport", "EfficientNetModels", "EfficientNetImageIO", "EfficientNetCore",
        "EfficientNetDetection",
        "EfficientNetTestSupport",
      ],
      exclude: ["Fixtures"], swiftSettings: vectorFlags),
    .testTarget(
      name: "HubTests",
      dependencies: ["EfficientNetHub", "EfficientNetModels", "WeightIO", "EfficientNetTestSupport"],
      swiftSettings: vectorFlags),
    .testTarget(
      name: "KernelTests", dependencies: ["EfficientNetKernels", "EfficientNetTestSupport"],
      swiftSettings: vectorFlags),
    .testTarget(
      name: "ImageIOTests",
      dependencies: ["EfficientNetImageIO", "EfficientNetCore", "EfficientNetTestSupport"],
      exclude: ["Fixtures"], swiftSettings: vectorFlags),
    .testTarget(
      name: "TrainingTests",
      dependencies: [
        "EfficientNetTraining", "EfficientNetLayers", "EfficientNetPlots", "EfficientNetModels",
        "EfficientNetCore",
        "EfficientNetKernels", "WeightIO",
        "EfficientNetTestSupport",
      ],
      exclude: ["Fixtures"],
      swiftSettings: vectorFlags),
    .testTarget(
      name: "SearchTests",
      dependencies: [
        "EfficientNetSearch", "EfficientNetTraining", "EfficientNetModels", "EfficientNetImageIO",
        "EfficientNetTestSupport",
      ],
      swiftSettings: vectorFlags),
    .testTarget(
      name: "DetectionTests",
      dependencies: [
        "EfficientNetDetection", "EfficientNetModels", "EfficientNetTestSupport", "EfficientNetCore",
        "EfficientNetTraining",
        "WeightIO", "EfficientNetImageIO",
      ],
      exclude: ["Fixtures"], swiftSettings: vectorFlags),
    .testTarget(
      name: "PlotTests",
      dependencies: ["EfficientNetPlots", "EfficientNetTraining", "EfficientNetTestSupport"],
      swiftSettings: vectorFlags),
    .testTarget(
      name: "WeightIOTests", dependencies: ["WeightIO", "EfficientNetTestSupport"], exclude: ["Fixtures"],
      swiftSettings: vectorFlags),
    .testTarget(
      name: "ModelTests",
      dependencies: [
        "EfficientNetModels", "EfficientNetCore", "EfficientNetLayers", "WeightIO", "EfficientNetTestSupport",
      ],
      exclude: ["Fixtures"],
      swiftSettings: vectorFlags),
  ],
  swiftLanguageModes: [.v5]
)
