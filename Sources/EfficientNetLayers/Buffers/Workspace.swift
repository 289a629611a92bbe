import EfficientNetCore

/// Buffers for one pass, handed out in the order the pass asks for them and reused by the next pass
/// with the same shapes (a pass asks for the same sequence every time), so steady-state passes
/// allocate nothing.
public final class Workspace {
  private var buffers: [FloatBuffer] = []
  private var cursor = 0
  /// Bytes held.
  public private(set) var byteCount = 0

  /// An empty workspace.
  public init() {}

  /// Starts a pass: buffers are handed out from the first again.
  public func reset() { cursor = 0 }

  /// The next buffer, of exactly `count` floats (contents unspecified).
  public func next(_ count: Int) -> FloatBuffer {
    defer { cursor += 1 }
    if cursor < buffers.count {
      if buffers[cursor].count == count { return buffers[cursor] }
      byteCount -= buffers[cursor].count * 4
      buffers[cursor] = FloatBuffer(count: count)
    } else {
      buffers.append(FloatBuffer(count: count))
    }
    byteCount += count * 4
    return buffers[cursor]
  }
}
