/// A JSON value as found in a safetensors header. Objects keep their keys in file order; numbers keep
/// their text so that integers of any size are read exactly (or rejected) later.
enum HeaderJSON {
  case object([(key: String, value: HeaderJSON)])
  case array([HeaderJSON])
  case string(String)
  case number(String)
  case bool(Bool)
  case null

  /// The name of the value's JSON type, for error messages.
  var typeName: String {
    switch self {
    case .object: return "an object"
    case .array: return "an array"
    case .string: return "a string"
    case .number: return "a number"
    case .bool: return "a boolean"
    case .null: return "null"
    }
  }

  /// The value as an `Int` when it is a JSON number written as an integer that fits; otherwise nil.
  var integer: Int? {
    guard case .number(let text) = self else { return nil }
    return Int(text)
  }
}

/// A parse failure: what was expected and the byte offset within the header where it went wrong.
struct HeaderJSONError: Error {
  let message: String
  let offset: Int
}

/// A strict RFC 8259 JSON parser over UTF-8 bytes, small enough to audit: it rejects invalid UTF-8,
/// duplicate object keys and nesting deeper than `maximumDepth` (so a hostile header cannot exhaust the
/// stack), and never reads outside `bytes`.
struct HeaderJSONParser {
  /// The deepest nesting of arrays and objects accepted; safetensors headers need 3.
  static let maximumDepth = 64

  private let bytes: UnsafeRawBufferPointer
  private var position = 0

  /// Parses `bytes` as one JSON value followed only by whitespace.
  static func parse(_ bytes: UnsafeRawBufferPointer) throws -> HeaderJSON {
    var parser = HeaderJSONParser(bytes: bytes)
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    if parser.position != bytes.count {
      throw parser.failure("unexpected \(parser.describeCurrentByte()) after the end of the JSON value")
    }
    return value
  }

  private init(bytes: UnsafeRawBufferPointer) {
    self.bytes = bytes
  }

  private func failure(_ message: String) -> HeaderJSONError {
    HeaderJSONError(message: message, offset: position)
  }

  private func describeCurrentByte() -> String {
    guard position < bytes.count else { return "end of header" }
    let byte = bytes[position]
    if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
    return "byte 0x" + String(byte, radix: 16, uppercase: true)
  }

  private mutating func skipWhitespace() {
    while position < bytes.count {
      switch bytes[position] {
      case 0x20, 0x09, 0x0A, 0x0D: position += 1
      default: return
      }
    }
  }

  private mutating func expect(_ byte: UInt8, _ what: String) throws {
    skipWhitespace()
    guard position < bytes.count, bytes[position] == byte else {
      throw failure("expected \(what) but found \(describeCurrentByte())")
    }
    position += 1
  }

  private mutating func parseValue(depth: Int) throws -> HeaderJSON {
    skipWhitespace()
    guard position < bytes.count else { throw failure("expected a value but found end of header") }
    switch bytes[position] {
    case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
    case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
    case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
    case UInt8(ascii: "n"): return try parseLiteral("null", .null)
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    default: throw failure("expected a value but found \(describeCurrentByte())")
    }
  }

  private mutating func parseLiteral(_ word: String, _ value: HeaderJSON) throws -> HeaderJSON {
    for expected in word.utf8 {
      guard position < bytes.count, bytes[position] == expected else {
        throw failure("expected '\(word)' but found \(describeCurrentByte())")
      }
      position += 1
    }
    return value
  }

  private mutating func parseObject(depth: Int) throws -> HeaderJSON {
    guard depth <= Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
    position += 1  // "{"
    var members: [(key: String, value: HeaderJSON)] = []
    var seenKeys = Set<String>()
    skipWhitespace()
    if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
      position += 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
        throw failure("expected a string key but found \(describeCurrentByte())")
      }
      let keyOffset = position
      let key = try parseString()
      guard seenKeys.insert(key).inserted else {
        throw HeaderJSONError(message: "duplicate key '\(key)'", offset: keyOffset)
      }
      try expect(UInt8(ascii: ":"), "':'")
      members.append((key, try parseValue(depth: depth)))
      skipWhitespace()
      guard position < bytes.count else { throw failure("expected ',' or '}' but found end of header") }
      if bytes[position] == UInt8(ascii: ",") {
        position += 1
      } else if bytes[position] == UInt8(ascii: "}") {
        position += 1
        return .object(members)
      } else {
        throw failure("expected ',' or '}' but found \(describeCurrentByte())")
      }
    }
  }

  private mutating func parseArray(depth: Int) throws -> HeaderJSON {
    guard depth <= Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
    position += 1  // "["
    var elements: [HeaderJSON] = []
    skipWhitespace()
    if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
      position += 1
      return .array(elements)
    }
    while true {
      elements.append(try parseValue(depth: depth))
      skipWhitespace()
      guard position < bytes.count else { throw failure("expected ',' or ']' but found end of header") }
      if bytes[position] == UInt8(ascii: ",") {
        position += 1
      } else if bytes[position] == UInt8(ascii: "]") {
        position += 1
        return .array(elements)
      } else {
        throw failure("expected ',' or ']' but found \(describeCurrentByte())")
      }
    }
  }

  private mutating func parseNumber() throws -> HeaderJSON {
    let start = position
    func isDigit(_ index: Int) -> Bool {
      index < bytes.count && bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9")
    }
    if bytes[position] == UInt8(ascii: "-") { position += 1 }
    guard isDigit(position) else { throw failure("expected a digit but found \(describeCurrentByte())") }
    if bytes[position] == UInt8(ascii: "0") {
      position += 1
    } else {
      while isDigit(position) { position += 1 }
    }
    if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
      position += 1
      guard isDigit(position) else { throw failure("expected a digit but found \(describeCurrentByte())") }
      while isDigit(position) { position += 1 }
    }
    if position < bytes.count && (bytes[position] | 0x20) == UInt8(ascii: "e") {
      position += 1
      if position < bytes.count
        && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-"))
      {
        position += 1
      }
      guard isDigit(position) else { throw failure("expected a digit but found \(describeCurrentByte())") }
      while isDigit(position) { position += 1 }
    }
    return .number(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
  }

  /// Parses a string starting at its opening quote, decoding escapes and validating UTF-8.
  private mutating func parseString() throws -> String {
    position += 1  // opening quote
    var utf8: [UInt8] = []
    while true {
      guard position < bytes.count else { throw failure("unterminated string") }
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        position += 1
        break
      }
      if byte < 0x20 {
        throw failure("control character \(describeCurrentByte()) inside a string")
      }
      if byte != UInt8(ascii: "\\") {
        utf8.append(byte)
        position += 1
        continue
      }
      position += 1
      guard position < bytes.count else { throw failure("unterminated string") }
      let escape = bytes[position]
      position += 1
      switch escape {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
      case UInt8(ascii: "b"): utf8.append(0x08)
      case UInt8(ascii: "f"): utf8.append(0x0C)
      case UInt8(ascii: "n"): utf8.append(0x0A)
      case UInt8(ascii: "r"): utf8.append(0x0D)
      case UInt8(ascii: "t"): utf8.append(0x09)
      case UInt8(ascii: "u"): utf8.append(contentsOf: try parseUnicodeEscape())
      default:
        position -= 1
        throw failure("invalid escape \\\(describeCurrentByte())")
      }
    }
    guard let string = String(validatingUTF8Bytes: utf8) else {
      throw failure("a string is not valid UTF-8")
    }
    return string
  }

  /// Parses the hex digits after `\u` (and a following low surrogate when needed) into UTF-8 bytes.
  private mutating func parseUnicodeEscape() throws -> [UInt8] {
    var scalarValue = try parseHexQuad()
    if (0xD800...0xDBFF).contains(scalarValue) {
      guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
        bytes[position + 1] == UInt8(ascii: "u")
      else { throw failure("a high surrogate \\u escape is not followed by a low surrogate") }
      position += 2
      let low = try parseHexQuad()
      guard (0xDC00...0xDFFF).contains(low) else { throw failure("invalid low surrogate in a \\u escape") }
      scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
    }
    guard let scalar = Unicode.Scalar(scalarValue) else {
      throw failure("a \\u escape names a lone surrogate")
    }
    return Array(String(Character(scalar)).utf8)
  }

  private mutating func parseHexQuad() throws -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 {
      guard position < bytes.count, let digit = hexDigitValue(bytes[position]) else {
        throw failure("expected four hex digits after \\u")
      }
      value = value << 4 | digit
      position += 1
    }
    return value
  }

  private func hexDigitValue(_ byte: UInt8) -> UInt32? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
    default: return nil
    }
  }
}

extension String {
  /// Creates a string from UTF-8 bytes, or returns nil when they are not valid UTF-8.
  init?(validatingUTF8Bytes bytes: [UInt8]) {
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    var scalars = String.UnicodeScalarView()
    while true {
      switch decoder.decode(&iterator) {
      case .scalarValue(let scalar): scalars.append(scalar)
      case .emptyInput:
        self.init(scalars)
        return
      case .error: return nil
      }
    }
  }
}
