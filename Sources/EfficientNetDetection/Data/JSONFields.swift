import Foundation

/// The fields of one JSON object of a COCO-format file, read with errors that name the file and field.
struct JSONFields {
  /// The object's members.
  let members: [String: Any]
  /// The object's path: `annotations[3]`.
  let path: String
  /// The file, for errors.
  let file: String

  /// The object `value` at `path`, or an error when it is not an object.
  init(_ value: Any, path: String, file: String) throws {
    guard let members = value as? [String: Any] else {
      throw COCOFormatError(file: file, field: path, problem: "expected an object")
    }
    self.members = members
    self.path = path
    self.file = file
  }

  /// The error of member `key`.
  func error(_ key: String, _ problem: String) -> COCOFormatError {
    COCOFormatError(file: file, field: path.isEmpty ? key : "\(path).\(key)", problem: problem)
  }

  /// Member `key`, or an error when it is missing.
  func required(_ key: String) throws -> Any {
    guard let value = members[key], !(value is NSNull) else { throw error(key, "missing") }
    return value
  }

  /// Member `key` as a whole number (`3` or `3.0`).
  func integer(_ key: String) throws -> Int {
    let value = try required(key)
    guard let number = value as? NSNumber, !(value is String), let integer = Int(exactly: number.doubleValue)
    else { throw error(key, "expected a whole number") }
    return (value as? Int) ?? integer
  }

  /// Member `key` as a finite number, or `fallback` when it is missing and a fallback is given.
  func number(_ key: String, fallback: Double? = nil) throws -> Double {
    if members[key] == nil, let fallback { return fallback }
    let value = try required(key)
    guard let number = value as? NSNumber, !(value is String) else { throw error(key, "expected a number") }
    guard number.doubleValue.isFinite else { throw error(key, "expected a finite number") }
    return number.doubleValue
  }

  /// Member `key` as a string.
  func string(_ key: String) throws -> String {
    guard let string = try required(key) as? String else { throw error(key, "expected a string") }
    return string
  }

  /// Member `key` as a flag: `0`, `1`, `false` or `true`; false when missing.
  func flag(_ key: String) throws -> Bool {
    guard let value = members[key], !(value is NSNull) else { return false }
    if let flag = value as? Bool, !(value is String) { return flag }
    guard let number = value as? NSNumber, number.doubleValue == 0 || number.doubleValue == 1 else {
      throw error(key, "expected 0, 1, false or true")
    }
    return number.doubleValue == 1
  }

  /// Member `key` as a box `[x, y, width, height]`: four finite numbers, width and height not negative.
  func box(_ key: String) throws -> SIMD4<Double> {
    guard let values = try required(key) as? [Any], values.count == 4 else {
      throw error(key, "expected 4 numbers")
    }
    var box = SIMD4<Double>()
    for (index, value) in values.enumerated() {
      guard let number = value as? NSNumber, !(value is String) else {
        throw error(key, "expected 4 numbers")
      }
      guard number.doubleValue.isFinite else { throw error(key, "expected finite numbers") }
      box[index] = number.doubleValue
    }
    if box[2] < 0 { throw error(key, "negative width \(box[2])") }
    if box[3] < 0 { throw error(key, "negative height \(box[3])") }
    return box
  }
}

/// Reading a COCO-format JSON file whole, refusing one above a size limit before reading it.
enum JSONFileLoading {
  /// The parsed JSON of the regular file `url`, at most `sizeLimit` bytes.
  static func load(_ url: URL, sizeLimit: Int) throws -> Any {
    let name = url.path
    let attributes: [FileAttributeKey: Any]
    do {
      attributes = try FileManager.default.attributesOfItem(atPath: name)
    } catch {
      throw COCOFormatError(file: name, field: "", problem: "cannot be read (\(error.localizedDescription))")
    }
    guard (attributes[.type] as? FileAttributeType) == .typeRegular else {
      throw COCOFormatError(file: name, field: "", problem: "not a regular file")
    }
    let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
    guard size <= sizeLimit else {
      throw COCOFormatError(
        file: name, field: "", problem: "\(size) bytes, above the limit of \(sizeLimit) bytes")
    }
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw COCOFormatError(file: name, field: "", problem: "cannot be read (\(error.localizedDescription))")
    }
    return try parse(data, name: name, sizeLimit: sizeLimit)
  }

  /// The parsed JSON of `data`, named `name` in errors.
  static func parse(_ data: Data, name: String, sizeLimit: Int) throws -> Any {
    guard data.count <= sizeLimit else {
      throw COCOFormatError(
        file: name, field: "", problem: "\(data.count) bytes, above the limit of \(sizeLimit) bytes")
    }
    do {
      return try JSONSerialization.jsonObject(with: data)
    } catch {
      // Foundation's parser refuses non-finite numbers (1e999, NaN) itself, saying which and where.
      let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey].map { " (\($0))" } ?? ""
      throw COCOFormatError(file: name, field: "", problem: "not valid JSON" + detail)
    }
  }
}
