/// The spatial arithmetic of a 2-D convolution or pooling window: sizes, strides and padding.
///
/// Output pixel `(oy, ox)` reads input rows `oy · strideHeight − padTop + ky` for `ky` in
/// `0..<kernelHeight` and columns `ox · strideWidth − padLeft + kx` for `kx` in `0..<kernelWidth`;
/// positions outside the input read zero. The bottom and right padding are implied by the output size
/// (see ``padBottom`` and ``padRight``).
public struct ConvolutionGeometry: Equatable, Hashable, Sendable, CustomStringConvertible {
  /// Input rows (H).
  public var inputHeight: Int
  /// Input columns (W).
  public var inputWidth: Int
  /// Kernel rows (KH).
  public var kernelHeight: Int
  /// Kernel columns (KW).
  public var kernelWidth: Int
  /// Step between output rows, in input rows.
  public var strideHeight: Int
  /// Step between output columns, in input columns.
  public var strideWidth: Int
  /// Zero rows added above the input.
  public var padTop: Int
  /// Zero columns added left of the input.
  public var padLeft: Int
  /// Output rows (OH).
  public var outputHeight: Int
  /// Output columns (OW).
  public var outputWidth: Int

  /// Creates a geometry from every size explicitly.
  ///
  /// - Parameters:
  ///   - inputHeight: input rows H (at least 1).
  ///   - inputWidth: input columns W (at least 1).
  ///   - kernelHeight: kernel rows KH (at least 1).
  ///   - kernelWidth: kernel columns KW (at least 1).
  ///   - strideHeight: vertical stride (at least 1).
  ///   - strideWidth: horizontal stride (at least 1).
  ///   - padTop: zero rows above the input (at least 0).
  ///   - padLeft: zero columns left of the input (at least 0).
  ///   - outputHeight: output rows OH (at least 1).
  ///   - outputWidth: output columns OW (at least 1).
  public init(
    inputHeight: Int, inputWidth: Int, kernelHeight: Int, kernelWidth: Int, strideHeight: Int,
    strideWidth: Int, padTop: Int, padLeft: Int, outputHeight: Int, outputWidth: Int
  ) {
    precondition(inputHeight >= 1 && inputWidth >= 1, "input must be at least 1x1")
    precondition(kernelHeight >= 1 && kernelWidth >= 1, "kernel must be at least 1x1")
    precondition(strideHeight >= 1 && strideWidth >= 1, "stride must be at least 1")
    precondition(padTop >= 0 && padLeft >= 0, "padding must not be negative")
    precondition(outputHeight >= 1 && outputWidth >= 1, "output must be at least 1x1")
    self.inputHeight = inputHeight
    self.inputWidth = inputWidth
    self.kernelHeight = kernelHeight
    self.kernelWidth = kernelWidth
    self.strideHeight = strideHeight
    self.strideWidth = strideWidth
    self.padTop = padTop
    self.padLeft = padLeft
    self.outputHeight = outputHeight
    self.outputWidth = outputWidth
  }

  /// PyTorch / timm padding: `((stride − 1) + (kernel − 1)) / 2` zeros on every side, and
  /// `output = (input + 2·pad − kernel) / stride + 1` (rounded down).
  ///
  /// - Parameters:
  ///   - inputHeight: input rows H.
  ///   - inputWidth: input columns W.
  ///   - kernelSize: the square kernel's side K.
  ///   - stride: the stride along both axes.
  public static func symmetric(
    inputHeight: Int, inputWidth: Int, kernelSize: Int, stride: Int
  ) -> ConvolutionGeometry {
    precondition(kernelSize >= 1 && stride >= 1, "kernel and stride must be at least 1")
    let pad = ((stride - 1) + (kernelSize - 1)) / 2
    func outputSize(_ input: Int) -> Int {
      let span = input + 2 * pad - kernelSize
      precondition(span >= 0, "input \(input) is smaller than kernel \(kernelSize) with padding \(pad)")
      return span / stride + 1
    }
    return ConvolutionGeometry(
      inputHeight: inputHeight, inputWidth: inputWidth, kernelHeight: kernelSize,
      kernelWidth: kernelSize, strideHeight: stride, strideWidth: stride, padTop: pad, padLeft: pad,
      outputHeight: outputSize(inputHeight), outputWidth: outputSize(inputWidth))
  }

  /// TensorFlow "SAME" padding: `output = ceil(input / stride)`, total padding
  /// `max((output − 1)·stride + kernel − input, 0)`, of which `total / 2` goes on the top/left and the
  /// rest (one more when odd) on the bottom/right.
  ///
  /// - Parameters:
  ///   - inputHeight: input rows H.
  ///   - inputWidth: input columns W.
  ///   - kernelSize: the square kernel's side K.
  ///   - stride: the stride along both axes.
  public static func tensorFlowSame(
    inputHeight: Int, inputWidth: Int, kernelSize: Int, stride: Int
  ) -> ConvolutionGeometry {
    precondition(kernelSize >= 1 && stride >= 1, "kernel and stride must be at least 1")
    func sizes(_ input: Int) -> (output: Int, padBefore: Int) {
      let output = (input + stride - 1) / stride
      let total = max((output - 1) * stride + kernelSize - input, 0)
      return (output, total / 2)
    }
    let vertical = sizes(inputHeight)
    let horizontal = sizes(inputWidth)
    return ConvolutionGeometry(
      inputHeight: inputHeight, inputWidth: inputWidth, kernelHeight: kernelSize,
      kernelWidth: kernelSize, strideHeight: stride, strideWidth: stride, padTop: vertical.padBefore,
      padLeft: horizontal.padBefore, outputHeight: vertical.output, outputWidth: horizontal.output)
  }

  /// Zero rows below the input that the last output row reaches (negative when it stops short of the
  /// input's last rows).
  public var padBottom: Int {
    (outputHeight - 1) * strideHeight + kernelHeight - inputHeight - padTop
  }

  /// Zero columns right of the input that the last output column reaches (negative when it stops short).
  public var padRight: Int {
    (outputWidth - 1) * strideWidth + kernelWidth - inputWidth - padLeft
  }

  /// The output columns whose whole kernel window lies inside the input (possibly empty).
  public var interiorColumns: Range<Int> {
    interiorRange(
      input: inputWidth, kernel: kernelWidth, stride: strideWidth, pad: padLeft, output: outputWidth)
  }

  /// The output rows whose whole kernel window lies inside the input (possibly empty).
  public var interiorRows: Range<Int> {
    interiorRange(
      input: inputHeight, kernel: kernelHeight, stride: strideHeight, pad: padTop, output: outputHeight)
  }

  /// A short summary such as `7x7 k3x3 s2x2 pad(1,1) -> 4x4`.
  public var description: String {
    "\(inputHeight)x\(inputWidth) k\(kernelHeight)x\(kernelWidth) s\(strideHeight)x\(strideWidth) "
      + "pad(\(padTop),\(padLeft)) -> \(outputHeight)x\(outputWidth)"
  }

  private func interiorRange(input: Int, kernel: Int, stride: Int, pad: Int, output: Int) -> Range<Int> {
    // First: smallest o with o·stride − pad ≥ 0. Last: largest o with o·stride − pad + kernel ≤ input.
    let first = (pad + stride - 1) / stride
    let room = input - kernel + pad
    if room < 0 { return 0..<0 }
    let end = min(output, room / stride + 1)
    return first < end ? first..<end : 0..<0
  }
}
