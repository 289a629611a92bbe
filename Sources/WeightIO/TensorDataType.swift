/// The element type of a tensor stored in a safetensors file, spelled as in the file's `dtype` field.
///
/// Every element is stored little-endian. `bool` is one byte per element (0 or 1).
public enum TensorDataType: String, CaseIterable, Sendable {
  /// IEEE 754 binary32.
  case float32 = "F32"
  /// IEEE 754 binary16 (half precision).
  case float16 = "F16"
  /// bfloat16: the upper 16 bits of a binary32.
  case bfloat16 = "BF16"
  /// IEEE 754 binary64.
  case float64 = "F64"
  /// Signed 64-bit integer.
  case int64 = "I64"
  /// Signed 32-bit integer.
  case int32 = "I32"
  /// Signed 16-bit integer.
  case int16 = "I16"
  /// Signed 8-bit integer.
  case int8 = "I8"
  /// Unsigned 8-bit integer.
  case uint8 = "U8"
  /// Boolean, one byte per element.
  case bool = "BOOL"

  /// The number of bytes one element occupies in the file.
  public var byteCount: Int {
    switch self {
    case .float64, .int64: return 8
    case .float32, .int32: return 4
    case .float16, .bfloat16, .int16: return 2
    case .int8, .uint8, .bool: return 1
    }
  }

  /// Whether the type holds integers (or booleans) rather than floating-point numbers.
  public var isInteger: Bool {
    switch self {
    case .int64, .int32, .int16, .int8, .uint8, .bool: return true
    case .float32, .float16, .bfloat16, .float64: return false
    }
  }
}
