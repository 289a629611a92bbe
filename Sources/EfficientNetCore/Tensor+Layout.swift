extension Tensor {
  /// Converts a 4-D tensor from NCHW (PyTorch's layout) to NHWC.
  public func nchwToNHWC() -> Tensor {
    precondition(shape.count == 4, "nchwToNHWC needs a 4-D tensor, got \(shape)")
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    return permuted4(to: [n, h, w, c]) { ni, ci, hi, wi in ((ni * h + hi) * w + wi) * c + ci }
  }

  /// Converts a 4-D tensor from NHWC to NCHW (PyTorch's layout).
  public func nhwcToNCHW() -> Tensor {
    precondition(shape.count == 4, "nhwcToNCHW needs a 4-D tensor, got \(shape)")
    let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
    return permuted4(to: [n, c, h, w]) { ni, hi, wi, ci in ((ni * c + ci) * h + hi) * w + wi }
  }

  /// Walks this tensor in row-major order as `[a, b, c, d]` and stores each element at
  /// `targetIndex(a, b, c, d)` of a tensor of shape `targetShape`.
  private func permuted4(to targetShape: [Int], _ targetIndex: (Int, Int, Int, Int) -> Int) -> Tensor {
    let (a, b, c, d) = (shape[0], shape[1], shape[2], shape[3])
    var result = Tensor(zeros: targetShape)
    withUnsafeBufferPointer { source in
      result.withUnsafeMutableBufferPointer { target in
        var index = 0
        for ai in 0..<a {
          for bi in 0..<b {
            for ci in 0..<c {
              for di in 0..<d {
                target[targetIndex(ai, bi, ci, di)] = source[index]
                index += 1
              }
            }
          }
        }
      }
    }
    return result
  }
}
