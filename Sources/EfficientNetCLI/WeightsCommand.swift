import ArgumentParser
import EfficientNetHub
import EfficientNetModels
import Foundation

/// `efficientnet weights`: the published weights known by name, which are cached, and where.
struct WeightsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "weights",
    abstract: "List the published ImageNet weights known by name (and fetch some into the cache).",
    discussion: """
      Each entry is fetched once from its publisher's URL (or $\(WeightsHub.mirrorVariable)/<file name>), checked against the SHA-256 prefix in its file name, converted to safetensors and kept in $XDG_CACHE_HOME/efficientnet (else ~/.cache/efficientnet). `classify`, `embed`, `explain` and `train` use them with --pretrained (the default without --weights for any model but the shipped Lite0). Offline: download the URL yourself and pass --weights FILE.
      """)

  @Option(name: .long, help: "Fetch these entries (or models' default entries) into the cache now.")
  var fetch: [String] = []

  @Flag(name: .long, help: "Print one JSON object per entry.")
  var json = false

  func run() throws {
    let catalog: WeightsCatalog
    do {
      catalog = try WeightsCatalog.current()
    } catch {
      throw CommandError("\(error)")
    }
    for name in fetch {
      let entry = (try? catalog.entry(named: name)) ?? (try? catalog.entry(forModel: name))
      guard let entry else {
        throw CommandError(
          "--fetch: no entry or model named '\(name)' has published weights; see `efficientnet weights`")
      }
      let (file, _) = try PretrainedLoading.fetch(model: entry.model, entryName: entry.name)
      FileHandle.standardError.write(Data("\(entry.name): \(file.path)\n".utf8))
    }
    let hub = WeightsHub.standard()
    if json {
      for entry in catalog.entries { print(try jsonLine(entry, hub: hub)) }
      return
    }
    print(table(catalog, hub: hub))
  }

  /// The listing: one entry a line, then the cache folder and how many entries are in it.
  func table(_ catalog: WeightsCatalog, hub: WeightsHub) -> String {
    let header = ["name", "model", "source", "size", "input", "licence", "cached"]
    var rows = [header]
    for entry in catalog.entries {
      rows.append([
        entry.name, entry.model, entry.source, Self.approximateSize(entry),
        "\(entry.resolution) (resize \(entry.resizeSize), \(entry.interpolation))", entry.licence,
        hub.cache.contains(entry) ? "yes" : "-",
      ])
    }
    let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
    var lines = rows.map { row in
      row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
        .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
    let cached = catalog.entries.filter { hub.cache.contains($0) }.count
    lines.append("")
    lines.append("cache: \(hub.cache.folder.path) (\(cached) of \(catalog.entries.count) entries cached)")
    if let mirror = hub.mirror { lines.append("mirror: \(mirror) (\(WeightsHub.mirrorVariable))") }
    if let shipped = try? PretrainedModels.lite0WeightsURL() {
      lines.append(
        "shipped: \(PretrainedModels.defaultModelName) (Apache-2.0), the default without --weights: \(shipped.path)"
      )
    }
    return lines.joined(separator: "\n")
  }

  /// The converted file's size, from the parameter count (F32), e.g. `21 MB`.
  static func approximateSize(_ entry: WeightsEntry) -> String {
    guard let architecture = try? entry.configuration().resolve() else { return "?" }
    let parameters = architecture.parameterSpecs().reduce(0) { $0 + $1.shape.reduce(1, *) }
    return String(format: "%.0f MB", Double(parameters * 4) / 1_000_000)
  }

  private func jsonLine(_ entry: WeightsEntry, hub: WeightsHub) throws -> String {
    struct Line: Encodable {
      var entry: WeightsEntry
      var cached: String?
      var downloadURL: String?
    }
    let line = Line(
      entry: entry, cached: hub.cache.contains(entry) ? hub.cache.convertedFile(for: entry).path : nil,
      downloadURL: hub.downloadURL(for: entry)?.absoluteString)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(line), as: UTF8.self)
  }
}
