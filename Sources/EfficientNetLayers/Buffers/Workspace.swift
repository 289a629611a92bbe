import EfficientNetCore

/// Buffers for one pass, handed out in the order the pass asks for them and reused by the next pass
/// (a pass asks for the same sequence every time), so steady-state passes allocate nothing.
///
/// Each place in the sequence keeps the largest storage it was ever asked for and hands out a
/// view of the size asked now: a smaller batch (the last of an epoch) and the full batches after
/// it reuse the same memory instead of returning it to the system and faulting it in again.
public final class Workspace {
  /// The storage of each place in the sequence.
  private var storage: [FloatBuffer] = []
  /// What each place handed out last (a view of its storage, or the storage itself).
  private var handedOut: [FloatBuffer] = []
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
    guard cursor < storage.count else {
      let buffer = FloatBuffer(count: count)
      storage.append(buffer)
      handedOut.append(buffer)
      byteCount += count * 4
      return buffer
    }
    if handedOut[cursor].count == count { return handedOut[cursor] }
    if storage[cursor].count < count {
      byteCount += (count - storage[cursor].count) * 4
      storage[cursor] = FloatBuffer(count: count)
    }
    let place = storage[cursor]
    handedOut[cursor] = place.count == count ? place : FloatBuffer(prefixOf: place, count: count)
    return handedOut[cursor]
  }
}
