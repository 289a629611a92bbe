import ArgumentParser
import EfficientNetImageIO
import EfficientNetKernels
import EfficientNetModels
import Foundation
import WeightIO

/// `efficientnet embed`: the pooled head features of images, written to a safetensors file.
struct EmbedCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "embed",
    abstract: "Write the globally pooled features of images (embeddings) to a safetensors file.",
    discussion: """
      Each PATH is an image file or a folder (every .jpg, .jpeg, .png and .dcm DICOM inside, recursively, in name order). The output holds the tensor `embeddings`, [N, F] float32 (F = the head's channels, 1280 for B0 and Lite0: timm's forward_head(..., pre_logits=True)), and in its metadata `files` (a JSON array of the N paths, in row order), `model`, `resolution` and `features`. A file that fails to decode is reported and skipped; the exit status is 1 when any failed. The file is written atomically.
      """)

  @Option(name: .long, help: "Model name or alias (default: efficientnet_lite0, or inferred from --weights).")
  var model: String?

  @Option(
    name: .long,
    help:
      "Weights: safetensors or a PyTorch .pth/.pt (default: the shipped Lite0, else --model's published weights)."
  )
  var weights: String?

  @OptionGroup var published: PretrainedOptions

  @OptionGroup var computeDevice: DeviceOptions

  @Option(name: .long, help: "The safetensors file to write.")
  var output: String

  @Option(name: .long, help: "Images per forward pass.")
  var batchSize: Int = 16

  @Option(name: .long, help: "Crop size R in pixels (default: the model's; the crop fraction stays).")
  var resolution: Int?

  @Option(name: .long, help: "Threads to use (default: all cores).")
  var threads: Int?

  @Argument(help: "Image files or folders.")
  var paths: [String]

  func validate() throws {
    try FlagLimits.check(batchSize, in: FlagLimits.batch, "--batch-size")
    try FlagLimits.check(resolution, in: FlagLimits.resolution, "--resolution")
    try FlagLimits.check(threads, in: FlagLimits.threads, "--threads")
    if paths.isEmpty { throw ValidationError("give at least one image file or folder") }
  }

  func run() throws {
    try computeDevice.requireCPUEngine()
    if let threads { ComputePool.shared.threadCount = threads }
    let loaded = try ModelLoading.resolve(
      model: model, weights: weights, pretrained: published.pretrained, entry: published.entry)
    let network = loaded.network
    try MachineMemory.require(
      network.architecture, batch: batchSize, side: resolution ?? network.configuration.resolution,
      training: false)
    let embedder = ImageEmbedder(model: network)
    if let preprocessing = loaded.preprocessing { embedder.preprocessing = preprocessing }
    if let resolution { embedder.preprocessing.resolution = resolution }
    let files = try ImageFiles.collect(paths)
    let progress = ProgressBar(total: files.count, label: "embed", enabled: files.count > 1)
    var embedded: [String] = []
    var values: [Float] = []
    var failures = 0
    var pending: [(file: URL, image: DecodedImage)] = []
    let start = Date()

    func flush() throws {
      guard !pending.isEmpty else { return }
      let batch = try ModelLoading.attributingOverflow(to: loaded.weightsFile) {
        try embedder.embeddings(for: pending.map(\.image))
      }
      values += batch.scalars
      embedded += pending.map(\.file.path)
      for _ in pending { progress.advance() }
      pending.removeAll()
    }
    for file in files {
      do {
        pending.append((file, try ImageDecoder.decode(contentsOf: file)))
      } catch {
        failures += 1
        progress.clearLine()
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        progress.advance()
      }
      if pending.count == batchSize { try flush() }
    }
    try flush()
    progress.finish()
    guard !embedded.isEmpty else {
      throw CommandError("no image could be read; \(output) was not written")
    }

    let featureCount = embedder.featureCount
    let fileList = String(
      decoding: try JSONSerialization.data(withJSONObject: embedded, options: [.withoutEscapingSlashes]),
      as: UTF8.self)
    var writer = SafeTensorsWriter(metadata: [
      "files": fileList, "model": network.configuration.name,
      "resolution": String(embedder.preprocessing.resolution), "features": String(featureCount),
    ])
    try writer.add(name: "embeddings", shape: [embedded.count, featureCount], values: values)
    try writer.write(to: URL(fileURLWithPath: output))

    let seconds = Date().timeIntervalSince(start)
    let summary =
      "embedded \(embedded.count) of \(files.count) images (\(featureCount) features each) into \(output) in "
      + String(format: "%.2f s", seconds) + (failures > 0 ? "; \(failures) failed" : "")
    FileHandle.standardError.write(Data((summary + "\n").utf8))
    if failures > 0 { throw ExitCode(1) }
  }
}
