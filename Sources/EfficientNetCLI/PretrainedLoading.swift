import EfficientNetHub
import EfficientNetImageIO
import EfficientNetModels
import Foundation

/// A model ready to run, with the preprocessing its weights were measured with (nil: the
/// configuration's own) and the published entry it came from, if any.
struct LoadedModel {
  var network: EfficientNet
  var preprocessing: PreprocessingConfiguration?
  var entry: WeightsEntry?
  /// The weights file as messages name it: `--weights`, the cached published file, or nil for the
  /// shipped Lite0.
  var weightsFile: String?
}

/// `--pretrained`: the published weights of a model, fetched into the cache (see ``WeightsHub``).
enum PretrainedLoading {
  /// Whether a command uses published weights: asked for (`--pretrained`, `--pretrained-entry`), or
  /// no `--weights` for a model other than the shipped Lite0.
  static func usesPublishedWeights(model: String?, weights: String?, pretrained: Bool) throws -> Bool {
    if pretrained { return true }
    guard weights == nil, let model else { return false }
    return try ModelRegistry.configuration(named: model).name != PretrainedModels.defaultModelName
  }

  /// The catalog entry for `model` (`entryName` when given), its weights fetched into the cache, with
  /// a line and a progress bar on standard error while it downloads.
  ///
  /// - Throws: ``CommandError`` naming the entry, the URL, and how to do without the network.
  static func fetch(model: String, entryName: String?) throws -> (file: URL, entry: WeightsEntry) {
    let entry: WeightsEntry
    do {
      entry = try WeightsCatalog.current().entry(forModel: model, named: entryName)
    } catch {
      throw CommandError("--pretrained: \(error)")
    }
    let hub = WeightsHub.standard()
    if hub.cache.contains(entry) { return (hub.cache.convertedFile(for: entry), entry) }
    let url = hub.downloadURL(for: entry)?.absoluteString ?? entry.url
    FileHandle.standardError.write(
      Data(
        "downloading \(entry.name) (\(entry.source), \(entry.licence)) from \(url) into \(hub.cache.folder.path)\n"
          .utf8))
    let bar = ProgressBar(total: 1, label: "download")
    do {
      let file = try hub.weights(for: entry) { received, expected in
        // Whole megabytes; the total never falls below what arrived (a server may send no length).
        let megabyte = Double(1 << 20)
        let done = Int(Double(received) / megabyte)
        let total = expected.map { Int((Double($0) / megabyte).rounded(.up)) } ?? 0
        bar.set(
          done: done, total: max(total, done, 1), label: "download",
          detail: String(format: "%.1f MB", Double(received) / megabyte))
      }
      bar.finish()
      FileHandle.standardError.write(Data("checked and converted: \(file.path)\n".utf8))
      return (file, entry)
    } catch let error as HubError {
      bar.finish()
      throw CommandError(advice(for: error, entry: entry, url: url))
    }
  }

  /// The error with what to do next: for a failed transfer, how to fetch the file another way.
  static func advice(for error: HubError, entry: WeightsEntry, url: String) -> String {
    switch error {
    case .transferFailed, .httpStatus:
      return "\(entry.name): \(error); without a network, download \(url) yourself (e.g. `curl -fLo "
        + "\(entry.fileName) \(url)`) and pass --weights \(entry.fileName) --model \(entry.model), "
        + "or set \(WeightsHub.mirrorVariable) to a site serving \(entry.fileName)"
    default:
      return "\(entry.name): \(error)"
    }
  }

  /// `--pretrained` and `--weights` together is a contradiction.
  static func checkExclusive(pretrained: Bool, weights: String?) throws {
    if pretrained && weights != nil {
      throw CommandError("--pretrained and --weights both give the starting weights; pass one of them")
    }
  }
}
