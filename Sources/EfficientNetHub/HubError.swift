import Foundation

/// What can go wrong in finding, fetching, checking or converting published weights; each case names
/// the entry, URL or file concerned.
public enum HubError: Error, CustomStringConvertible, Equatable {
  /// No catalog entry has this name.
  case unknownEntry(String, known: [String])
  /// The catalog has no weights for this model.
  case noWeights(model: String, modelsWithWeights: [String])
  /// An entry exists but is for another model than the one asked for.
  case entryForOtherModel(entry: String, entryModel: String, requested: String)
  /// The catalog override file cannot be read or holds an invalid entry.
  case invalidCatalog(path: String, reason: String)
  /// The server answered with an HTTP status that is not a success.
  case httpStatus(url: String, status: Int)
  /// The transfer failed (no network, refused, timed out, cut off) after every attempt.
  case transferFailed(url: String, reason: String, attempts: Int)
  /// The server sent, or announced, more bytes than the limit.
  case tooLarge(url: String, limit: Int64)
  /// The file arrived but its SHA-256 or size is not the published one.
  case integrityMismatch(url: String, expected: String, found: String)
  /// The cache folder cannot be made or written.
  case cacheUnwritable(path: String, reason: String)
  /// The downloaded file could not be converted into the model.
  case conversionFailed(entry: String, reason: String)

  /// The message, naming the entry, URL or file, and what to do where there is something to do.
  public var description: String {
    switch self {
    case .unknownEntry(let name, let known):
      return "no published weights named '\(name)' (known: \(known.joined(separator: ", ")); "
        + "see `efficientnet weights`)"
    case .noWeights(let model, let models):
      return "no published weights are known for \(model) (weights exist for "
        + "\(models.joined(separator: ", ")); see `efficientnet weights`); pass --weights FILE"
    case .entryForOtherModel(let entry, let entryModel, let requested):
      return "the weights \(entry) are for \(entryModel), not \(requested)"
    case .invalidCatalog(let path, let reason):
      return "\(path) (EFFICIENTNET_WEIGHTS_CATALOG): \(reason)"
    case .httpStatus(let url, let status):
      return "\(url): the server answered HTTP \(status)"
    case .transferFailed(let url, let reason, let attempts):
      return "\(url): \(reason) (\(attempts) attempt\(attempts == 1 ? "" : "s"))"
    case .tooLarge(let url, let limit):
      return "\(url): the server sent more than \(limit) bytes, more than these weights can be; refused"
    case .integrityMismatch(let url, let expected, let found):
      return "\(url): the file is not the published one (expected \(expected), got \(found)); "
        + "it was deleted and nothing was cached"
    case .cacheUnwritable(let path, let reason):
      return "\(path): cannot write the weights cache: \(reason) (set XDG_CACHE_HOME to another folder)"
    case .conversionFailed(let entry, let reason):
      return "\(entry): the downloaded file does not convert: \(reason)"
    }
  }
}
