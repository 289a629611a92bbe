import EfficientNetCore
import EfficientNetTestSupport
import Foundation
import XCTest

/// Runs `Fixtures/onnx_runtime_check.py` (onnx's full checker, then ONNX Runtime with graph
/// optimizations off and on) over exported models; skips the test when Python lacks onnx or
/// onnxruntime, except in CI (`CI=true`), where that is a failure.
struct ONNXRuntimeRunner {
  /// One model file and the inputs to run it on.
  struct Job {
    var model: URL
    var inputs: [Tensor]
  }

  /// What ONNX Runtime returned for one input: every output with optimizations off and on.
  struct Run {
    var disabled: [[Float]]
    var enabled: [[Float]]
    var shapes: [[Int]]
  }

  /// The report of one model: its metadata, operators, graph inputs and outputs, runs.
  struct Report {
    var metadata: [String: String]
    var operators: [String]
    var inputShape: [String]
    var outputShape: [String]
    var runs: [Run]
  }

  let folder: URL

  /// Writes the inputs, runs the helper once for all `jobs`, and reads what it wrote back.
  func run(_ jobs: [Job]) throws -> [Report] {
    var description: [[String: Any]] = []
    var files: [[URL]] = []
    for (jobIndex, job) in jobs.enumerated() {
      var inputs: [[String: Any]] = []
      var paths: [URL] = []
      for (index, input) in job.inputs.enumerated() {
        let url = folder.appendingPathComponent("job\(jobIndex)-input\(index).bin")
        try input.scalars.withUnsafeBytes { Data($0) }.write(to: url)
        inputs.append(["data": url.path, "shape": input.shape])
        paths.append(url)
      }
      description.append(["model": job.model.path, "inputs": inputs])
      files.append(paths)
    }
    let jobsFile = folder.appendingPathComponent("jobs.json")
    try JSONSerialization.data(withJSONObject: description).write(to: jobsFile)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "python3", RepositoryPaths.fixtures("ExportTests", "onnx_runtime_check.py").path, jobsFile.path,
    ]
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    do { try process.run() } catch { try Self.unavailable("python3 does not start: \(error)") }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    if process.terminationStatus == 3 { try Self.unavailable(message) }
    guard process.terminationStatus == 0 else {
      XCTFail("onnx_runtime_check.py failed (\(process.terminationStatus)): \(message)")
      throw CocoaError(.fileReadUnknown)
    }
    let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let models = try XCTUnwrap(report["models"] as? [[String: Any]])
    return try zip(models, files).map { model, paths in
      let runs = try XCTUnwrap(model["runs"] as? [[String: Any]])
      return Report(
        metadata: model["metadata"] as? [String: String] ?? [:],
        operators: model["op_types"] as? [String] ?? [],
        inputShape: ((model["inputs"] as? [[Any]])?.first?[1] as? [Any] ?? []).map { "\($0)" },
        outputShape: ((model["outputs"] as? [[Any]])?.first?[1] as? [Any] ?? []).map { "\($0)" },
        runs: try zip(runs, paths).map { run, path in
          let shapes = ((run["output_shapes"] as? [[[Int]]])?.first) ?? []
          return Run(
            disabled: try shapes.indices.map { try Self.floats(path.path + ".disabled.\($0).bin") },
            enabled: try shapes.indices.map { try Self.floats(path.path + ".enabled.\($0).bin") },
            shapes: shapes)
        })
    }
  }

  static func floats(_ path: String) throws -> [Float] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
  }

  static func unavailable(_ reason: String) throws -> Never {
    if ProcessInfo.processInfo.environment["CI"] == "true" {
      XCTFail("CI installs onnx and onnxruntime (.ci/run), but: \(reason)")
      throw CocoaError(.featureUnsupported)
    }
    throw XCTSkip("ONNX Runtime checks need `pip install onnx onnxruntime numpy`: \(reason)")
  }
}
