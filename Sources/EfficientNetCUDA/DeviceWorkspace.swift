/// Device buffers an engine reuses from call to call, one per slot, each grown to the largest size
/// asked of it: after the first evaluation of a shape, evaluations allocate nothing.
final class DeviceWorkspace {
  /// What a buffer is for.
  enum Slot: Hashable {
    case input, activation(Int), expanded, depthwise, means, reduced, gate, head, pooled, logits
  }

  private let device: CUDADevice
  private var buffers: [Slot: DeviceBuffer] = [:]

  init(device: CUDADevice) { self.device = device }

  /// The buffer of `slot`, holding at least `count` floats.
  func buffer(_ slot: Slot, count: Int) throws -> DeviceBuffer {
    if let buffer = buffers[slot], buffer.count >= count { return buffer }
    buffers[slot] = nil  // free the smaller one first
    let buffer = try DeviceBuffer(device: device, count: count)
    buffers[slot] = buffer
    return buffer
  }
}
