import EfficientNetFiles
import Foundation

/// One finished candidate of a scaling search: one line of `results.jsonl`.
public struct SearchRecord: Codable, Equatable, Sendable {
  /// The candidate's stable name (its folder under `runs/`).
  public var label: String
  /// `compound`, `depth-only`, `width-only` or `resolution-only`.
  public var kind: String
  /// The bases.
  public var alpha: Double, beta: Double, gamma: Double
  /// `α·β²·γ²`.
  public var flopsFactor: Double
  /// Multiply-accumulates of one image at the candidate's resolution.
  public var macs: Int
  /// `macs` over the baseline's (rounding of channels, repeats and resolution makes it differ from
  /// the formula).
  public var macsRatio: Double
  /// Trainable parameters.
  public var parameters: Int
  /// The φ = 1 model's input side, width and depth multipliers.
  public var resolution: Int, widthMultiplier: Double, depthMultiplier: Double
  /// Validation top-1 (0…1) and mean loss after the last epoch.
  public var validationTop1: Double, validationLoss: Double
  /// Training time over all epochs, seconds (validation excluded).
  public var trainingSeconds: Double
  /// Epochs trained.
  public var epochs: Int

  enum CodingKeys: String, CodingKey {
    case label, kind, alpha, beta, gamma, macs, parameters, resolution, epochs
    case flopsFactor = "flops_factor"
    case macsRatio = "macs_ratio"
    case widthMultiplier = "width_multiplier"
    case depthMultiplier = "depth_multiplier"
    case validationTop1 = "val_top1"
    case validationLoss = "val_loss"
    case trainingSeconds = "train_seconds"
  }
}

/// `results.jsonl`: read whole, rewritten atomically with each new record, so an interruption
/// never leaves half a line.
public struct SearchResultsFile {
  /// The file.
  public let url: URL

  /// Names the file.
  public init(url: URL) { self.url = url }

  /// The records written so far (none when the file does not exist).
  ///
  /// - Throws: ``SearchError/file(_:_:)`` naming the file and line for an unreadable line.
  public func records() throws -> [SearchRecord] {
    guard FileManager.default.fileExists(atPath: url.path) else { return [] }
    let text: String
    do {
      text = try String(contentsOf: url, encoding: .utf8)
    } catch {
      throw SearchError.file(url.path, "cannot read (\(error.localizedDescription))")
    }
    var records: [SearchRecord] = []
    for (index, line) in text.split(separator: "\n").enumerated() where !line.isEmpty {
      do {
        records.append(try JSONDecoder().decode(SearchRecord.self, from: Data(line.utf8)))
      } catch {
        throw SearchError.file(url.path, "line \(index + 1) is not a search record (\(error))")
      }
    }
    return records
  }

  /// Appends a record (write to a temporary file, then rename).
  public func append(_ record: SearchRecord) throws {
    let all = try records() + [record]
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    var data = Data()
    for item in all {
      data += try encoder.encode(item)
      data.append(0x0A)
    }
    do {
      try AtomicFile.write([data], to: url)
    } catch {
      throw SearchError.file(url.path, "cannot write (\(error.reason))")
    }
  }
}
