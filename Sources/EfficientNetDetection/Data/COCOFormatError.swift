import Foundation

/// A COCO-format file that cannot be used, naming the file and the field at fault.
public struct COCOFormatError: Error, Equatable, CustomStringConvertible {
  /// The file (or the name the data was given).
  public var file: String
  /// The field at fault, as a path: `annotations[12].bbox`; empty for the file as a whole.
  public var field: String
  /// What is wrong with it.
  public var problem: String

  /// The error of `field` of `file`.
  public init(file: String, field: String, problem: String) {
    self.file = file
    self.field = field
    self.problem = problem
  }

  /// `file: field: problem`.
  public var description: String {
    field.isEmpty ? "\(file): \(problem)" : "\(file): \(field): \(problem)"
  }
}
