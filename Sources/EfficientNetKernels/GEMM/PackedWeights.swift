/// The weights `B[K, N]` of a matrix product, packed once into the layout ``GEMM`` reads.
///
/// Layout: the `N` output columns are cut into column panels of ``GEMM/panelWidth`` (16) columns;
/// when `N % 16` is between 1 and 8, the last panel is a narrow one of 8 columns. Panel `p` starts at
/// float offset `p · 16 · K` and holds `K` rows of its width, `panel[k · width + j] = B[k, start + j]`,
/// with the columns past `N` filled with zeros so the micro-kernels never need an edge case. The
/// buffer is 64-byte aligned. Instances are immutable after creation and safe to share across threads.
public final class PackedWeights: @unchecked Sendable {
  /// `K`: the length of the dot products (input channels of a 1×1 convolution, `in` of a linear).
  public let inputCount: Int
  /// `N`: the number of output columns (output channels of a 1×1 convolution, `out` of a linear).
  public let outputCount: Int
  /// The number of column panels (`⌈N / 16⌉`, counting a narrow last panel).
  let panelCount: Int
  /// Whether the last panel is 8 columns wide instead of 16.
  let lastPanelIsNarrow: Bool
  /// The packed panels (see the type's documentation for the layout).
  let storage: UnsafeMutablePointer<Float>
  /// The number of floats in `storage`.
  let storageCount: Int

  /// Packs weights stored output-major, the layout of PyTorch's parameters.
  ///
  /// - Parameters:
  ///   - weights: `[N, K]` row-major: a 1×1 convolution's `[Cout, Cin, 1, 1]` (OIHW) weight or a
  ///     linear layer's `[out, in]` weight; `weights[n · K + k] = B[k, n]`.
  ///   - outputCount: `N`, at least 1.
  ///   - inputCount: `K`, at least 1.
  public convenience init(
    outputMajor weights: UnsafeBufferPointer<Float>, outputCount: Int, inputCount: Int
  ) {
    precondition(weights.count >= outputCount * inputCount, "PackedWeights: weights shorter than [N, K]")
    self.init(outputCount: outputCount, inputCount: inputCount)
    guard let source = weights.baseAddress else { return }
    fill { k, n in source[n * inputCount + k] }
  }

  /// Packs weights stored input-major, `[K, N]` row-major (`weights[k · N + n] = B[k, n]`).
  ///
  /// This is the layout of a product's right-hand side as written (`C = A × B`); the backward pass of a
  /// linear layer uses it, since the gradient `dA = dC × Wᵀ` reads the `[N, K]` weight as `[K, N]`.
  ///
  /// - Parameters:
  ///   - weights: `[K, N]` row-major.
  ///   - inputCount: `K`, at least 1.
  ///   - outputCount: `N`, at least 1.
  public convenience init(
    inputMajor weights: UnsafeBufferPointer<Float>, inputCount: Int, outputCount: Int
  ) {
    precondition(weights.count >= outputCount * inputCount, "PackedWeights: weights shorter than [K, N]")
    self.init(outputCount: outputCount, inputCount: inputCount)
    guard let source = weights.baseAddress else { return }
    fill { k, n in source[k * outputCount + n] }
  }

  /// Allocates zeroed panels for `N` outputs and `K` inputs.
  private init(outputCount: Int, inputCount: Int) {
    precondition(outputCount > 0 && inputCount > 0, "PackedWeights: N and K must be positive")
    let width = GEMM.panelWidth
    let remainder = outputCount % width
    self.outputCount = outputCount
    self.inputCount = inputCount
    self.panelCount = (outputCount + width - 1) / width
    self.lastPanelIsNarrow = remainder != 0 && remainder <= GEMM.narrowPanelWidth
    let count = panelCount * width * inputCount
    self.storageCount = count
    let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
    self.storage = raw.bindMemory(to: Float.self, capacity: count)
    storage.initialize(repeating: 0, count: count)
  }

  deinit {
    storage.deallocate()
  }

  /// The number of columns panel `panel` holds in memory (16, or 8 for a narrow last panel).
  @inline(__always)
  func width(ofPanel panel: Int) -> Int {
    lastPanelIsNarrow && panel == panelCount - 1 ? GEMM.narrowPanelWidth : GEMM.panelWidth
  }

  /// The first float of panel `panel`.
  @inline(__always)
  func panelStart(_ panel: Int) -> UnsafePointer<Float> {
    UnsafePointer(storage + panel * GEMM.panelWidth * inputCount)
  }

  /// Repacks new values of the same shape into the existing panels (no allocation): for weights that
  /// change every training step.
  ///
  /// - Parameter weights: `[N, K]` row-major, as for ``init(outputMajor:outputCount:inputCount:)``.
  public func repack(outputMajor weights: UnsafeBufferPointer<Float>) {
    precondition(
      weights.count >= outputCount * inputCount, "PackedWeights.repack: weights shorter than [N, K]")
    guard let source = weights.baseAddress else { return }
    let inputCount = self.inputCount
    fill { k, n in source[n * inputCount + k] }
  }

  /// Writes `element(k, n)` = `B[k, n]` into the panels.
  private func fill(_ element: (Int, Int) -> Float) {
    for panel in 0..<panelCount {
      let width = self.width(ofPanel: panel)
      let firstColumn = panel * GEMM.panelWidth
      let columns = min(width, outputCount - firstColumn)
      let destination = storage + panel * GEMM.panelWidth * inputCount
      for k in 0..<inputCount {
        for j in 0..<columns {
          destination[k * width + j] = element(k, firstColumn + j)
        }
      }
    }
  }
}
