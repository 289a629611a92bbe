import Foundation

/// Float buffers kept between calls, so that a kernel's per-thread workspace costs no heap
/// allocation in steady state.
///
/// A caller borrows a buffer for the duration of a closure; no two borrowers ever hold the same
/// buffer at once, so it is safe from any number of threads. The pool grows to the largest number of
/// buffers borrowed at the same time, and a buffer is reallocated only when a borrower needs more
/// floats than it has. (`withUnsafeTemporaryAllocation` is not a substitute here: on Linux it uses
/// the heap for anything over 1 KiB.)
final class ScratchBuffers: @unchecked Sendable {
  /// The buffers the kernels of this module share.
  static let shared = ScratchBuffers()

  /// One buffer: 64-byte aligned memory for `capacity` floats.
  private struct Buffer {
    var start: UnsafeMutablePointer<Float>
    var capacity: Int
  }

  private let lock = NSLock()
  /// The buffers not lent out at the moment.
  private var idle: [Buffer] = []

  private init() {
    idle.reserveCapacity(64)
  }

  /// Lends `body` a buffer of at least `capacity` floats (uninitialized) for the duration of the call.
  func withBuffer<Result>(
    capacity: Int, _ body: (UnsafeMutablePointer<Float>) throws -> Result
  ) rethrows -> Result {
    var buffer = borrow(capacity: capacity)
    defer { giveBack(buffer) }
    if buffer.capacity < capacity {
      buffer.start.deallocate()
      buffer = Self.allocate(capacity: capacity)
    }
    return try body(buffer.start)
  }

  /// Takes the most recently returned idle buffer that is large enough, else any idle one, else a
  /// new one.
  private func borrow(capacity: Int) -> Buffer {
    lock.lock()
    defer { lock.unlock() }
    if let index = idle.lastIndex(where: { $0.capacity >= capacity }) ?? idle.indices.last {
      return idle.remove(at: index)
    }
    return Self.allocate(capacity: capacity)
  }

  private func giveBack(_ buffer: Buffer) {
    lock.lock()
    defer { lock.unlock() }
    idle.append(buffer)
  }

  private static func allocate(capacity: Int) -> Buffer {
    let count = max(capacity, 1)
    let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
    return Buffer(start: raw.bindMemory(to: Float.self, capacity: count), capacity: count)
  }
}
