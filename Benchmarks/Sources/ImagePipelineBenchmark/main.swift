// Decode + timm preprocessing throughput on real files (images per second), one thread or two.
// Usage: swift run -c release ImagePipelineBenchmark [--threads T] [--passes P] FILE_OR_FOLDER...
// Compare with `python3 Benchmarks/pillow_pipeline.py` on the same files in the same session.
import EfficientNetImageIO
import EfficientNetKernels
import Foundation

var arguments = Array(CommandLine.arguments.dropFirst())
var passes = 5
var threads = 1
while let first = arguments.first, first.hasPrefix("--") {
  arguments.removeFirst()
  guard let value = arguments.first.flatMap(Int.init), value > 0 else {
    fatalError("\(first) needs a positive integer")
  }
  arguments.removeFirst()
  if first == "--passes" { passes = value } else if first == "--threads" { threads = value } else {
    fatalError("unknown option \(first)")
  }
}
ComputePool.shared.threadCount = threads
var files: [URL] = []
for path in arguments {
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { fatalError("\(path): missing") }
  if isDirectory.boolValue, let walker = FileManager.default.enumerator(atPath: path) {
    for case let name as String in walker where ["jpg", "jpeg", "png"].contains((name as NSString).pathExtension.lowercased()) {
      files.append(URL(fileURLWithPath: path).appendingPathComponent(name))
    }
  } else {
    files.append(URL(fileURLWithPath: path))
  }
}
files.sort { $0.path < $1.path }
guard !files.isEmpty else { fatalError("no images given") }
let configuration = PreprocessingConfiguration.imageNet
var best = Double.infinity
var checksum: Float = 0
for _ in 0..<passes {
  let start = Date()
  for file in files {
    let image = try ImageDecoder.decode(contentsOf: file, pixelFormat: .rgb8)
    let tensor = image.samples8.withUnsafeBufferPointer {
      Preprocessor.preprocess(pixels: $0, width: image.width, height: image.height, channels: 3, configuration: configuration)
    }
    checksum += tensor[flat: 0]
  }
  best = min(best, Date().timeIntervalSince(start))
}
print(
  String(
    format: "swift decode+preprocess (RGB, 224 crop of 256): %d images, best of %d passes: %.1f images/s (%d thread%@) [checksum %.3f]",
    files.count, passes, Double(files.count) / best, threads, threads == 1 ? "" : "s", checksum))
