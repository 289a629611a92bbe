import EfficientNetFiles
import EfficientNetImageIO
import EfficientNetModels
import Foundation

/// The published weights known by name: the built-in table, or the entries of a JSON file named by
/// ``catalogVariable`` (an array of ``WeightsEntry``), which replaces it.
public struct WeightsCatalog: Sendable {
  /// The environment variable naming a JSON catalog that replaces the built-in one.
  public static let catalogVariable = "EFFICIENTNET_WEIGHTS_CATALOG"

  /// The entries, in listing order; the first entry of a model is its default.
  public var entries: [WeightsEntry]

  /// A catalog of `entries`.
  public init(entries: [WeightsEntry]) { self.entries = entries }

  /// The built-in catalog (torchvision's and timm's published ImageNet-1k weights).
  public static let builtIn = WeightsCatalog(entries: BuiltInCatalog.entries)

  /// The catalog in effect: the file named by ``catalogVariable``, else the built-in one.
  ///
  /// - Throws: ``HubError/invalidCatalog(path:reason:)`` for an unreadable file or an invalid entry.
  public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) throws
    -> WeightsCatalog
  {
    guard let path = environment[catalogVariable], !path.isEmpty else { return builtIn }
    let data: Data
    do {
      data = try RegularFile.contents(of: URL(fileURLWithPath: path), maximumByteCount: 4 << 20)
    } catch {
      throw HubError.invalidCatalog(path: path, reason: "\(error)")
    }
    let entries: [WeightsEntry]
    do {
      entries = try JSONDecoder().decode([WeightsEntry].self, from: data)
    } catch {
      throw HubError.invalidCatalog(path: path, reason: "not a JSON array of entries: \(error)")
    }
    for entry in entries {
      if let problem = entry.problem {
        throw HubError.invalidCatalog(path: path, reason: "\(entry.name): \(problem)")
      }
    }
    return WeightsCatalog(entries: entries)
  }

  /// The entry named `name`.
  ///
  /// - Throws: ``HubError/unknownEntry(_:known:)``.
  public func entry(named name: String) throws -> WeightsEntry {
    guard let entry = entries.first(where: { $0.name == name }) else {
      throw HubError.unknownEntry(name, known: entries.map(\.name))
    }
    return entry
  }

  /// The weights for `model` (a ``ModelRegistry`` name or alias): the entry named `entryName` (which
  /// must be for that model), else the model's first entry.
  ///
  /// - Throws: ``HubError`` when there is none, or the named one is for another model.
  public func entry(forModel model: String, named entryName: String? = nil) throws -> WeightsEntry {
    let variant = (try? ModelRegistry.variant(named: model).name) ?? model
    if let entryName {
      let entry = try entry(named: entryName)
      guard entry.model == variant else {
        throw HubError.entryForOtherModel(entry: entry.name, entryModel: entry.model, requested: variant)
      }
      return entry
    }
    guard let entry = entries.first(where: { $0.model == variant }) else {
      var models: [String] = []
      for entry in entries where !models.contains(entry.model) { models.append(entry.model) }
      throw HubError.noWeights(model: variant, modelsWithWeights: models)
    }
    return entry
  }
}

extension WeightsEntry {
  /// Why this entry cannot be used, or nil when it can: a name or file name that is not a plain file
  /// name, a URL that is not http(s), nothing to check the file against, or preprocessing out of range.
  var problem: String? {
    let plain = { (text: String) in
      !text.isEmpty && text != "." && text != ".." && !text.contains("/") && !text.contains("\\")
        && text.allSatisfy { $0.isASCII && !$0.isWhitespace && !$0.isNewline }
    }
    guard plain(name) else { return "the name must be a plain file name" }
    guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
      plain(fileName)
    else { return "the url must be http(s) and end with a file name" }
    if let sha256, sha256.count < 8 || sha256.count > 64 || !sha256.allSatisfy(\.isHexDigit) {
      return "sha256 must be 8 to 64 hex digits"
    }
    if sha256 == nil && (byteSize ?? 0) <= 0 { return "give sha256 or byteSize to check the file against" }
    guard (try? ModelRegistry.variant(named: model)) != nil else { return "unknown model \(model)" }
    guard (1...4096).contains(resolution), (1...8192).contains(resizeSize) else {
      return "resolution and resizeSize must be in 1...4096 and 1...8192"
    }
    guard Interpolation.allCases.map(\.rawValue).contains(interpolation) else {
      return "interpolation must be one of \(Interpolation.allCases.map(\.rawValue).joined(separator: ", "))"
    }
    guard mean.count == 3, standardDeviation.count == 3, mean.allSatisfy(\.isFinite),
      standardDeviation.allSatisfy({ $0.isFinite && $0 > 0 })
    else { return "mean and standardDeviation must be 3 finite values (deviations positive)" }
    if let batchNormEpsilon, !(batchNormEpsilon > 0 && batchNormEpsilon < 1) {
      return "batchNormEpsilon must be in (0, 1)"
    }
    return nil
  }
}
