/// An image whose samples keep their full range and meaning (modality units such as Hounsfield units
/// after a DICOM rescale, or raw 16-bit PNG values), with what is needed to window it for display or for
/// a model.
///
/// Layout `[H, W, C]`: the sample of channel `c` at row `y`, column `x` is
/// `values[(y * width + x) * channels + c]`.
public struct MedicalImage: Sendable, Equatable {
  /// How `WindowSelection.automatic` chooses a window when the file has none.
  public enum FallbackWindow: Sendable, Equatable {
    /// The image's lowest to highest value.
    case minimumMaximum
    /// The nominal range of the stored bits.
    case nominalRange
  }

  /// Pixels per row (W).
  public var width: Int
  /// Rows (H).
  public var height: Int
  /// Samples per pixel (C): 1 (gray) or 3 (RGB).
  public var channels: Int
  /// `[H, W, C]` sample values, range kept.
  public var values: [Float]
  /// Whether higher values should look darker (DICOM MONOCHROME1); the window's output is inverted.
  public var isInverted: Bool
  /// The file's own window (DICOM Window Center / Width, first values), if any.
  public var fileWindow: VOIWindow?
  /// The values the stored bits can represent, after rescale (for example -1024...3071 for a 12-bit CT).
  public var nominalRange: ClosedRange<Double>
  /// The window `.automatic` uses when `fileWindow` is nil.
  public var fallbackWindow: FallbackWindow

  /// An image from its values.
  /// - Parameters:
  ///   - width: Pixels per row (W), at least 1.
  ///   - height: Rows (H), at least 1.
  ///   - channels: 1 or 3.
  ///   - values: `[H, W, C]`, exactly `width * height * channels` of them.
  ///   - isInverted: Whether higher values display darker (MONOCHROME1).
  ///   - fileWindow: The window stored with the image.
  ///   - nominalRange: The representable range of values.
  ///   - fallbackWindow: What `.automatic` uses without a file window.
  public init(
    width: Int, height: Int, channels: Int, values: [Float], isInverted: Bool = false,
    fileWindow: VOIWindow? = nil, nominalRange: ClosedRange<Double>, fallbackWindow: FallbackWindow
  ) {
    precondition(width >= 1 && height >= 1, "image size must be positive, got \(width)×\(height)")
    precondition(channels == 1 || channels == 3, "channels must be 1 or 3, got \(channels)")
    precondition(
      values.count == width * height * channels,
      "\(values.count) values for \(width)×\(height)×\(channels)")
    self.width = width
    self.height = height
    self.channels = channels
    self.values = values
    self.isInverted = isInverted
    self.fileWindow = fileWindow
    self.nominalRange = nominalRange
    self.fallbackWindow = fallbackWindow
  }

  /// The lowest and highest value.
  public var valueRange: ClosedRange<Double> {
    var lowest = Float.infinity
    var highest = -Float.infinity
    for value in values {
      lowest = min(lowest, value)
      highest = max(highest, value)
    }
    return Double(lowest)...Double(highest)
  }

  /// The window a selection resolves to for this image.
  /// - Parameter selection: What to use; `.automatic` prefers the file's window.
  public func window(for selection: WindowSelection) -> VOIWindow {
    switch selection {
    case .fixed(let window): return window
    case .minimumMaximum: return VOIWindow(spanning: valueRange)
    case .nominalRange: return VOIWindow(spanning: nominalRange)
    case .automatic:
      if let fileWindow { return fileWindow }
      return window(for: fallbackWindow == .minimumMaximum ? .minimumMaximum : .nominalRange)
    }
  }

  /// The windowed image in [0, 1], `[H, W, C]`, inverted for MONOCHROME1 (`1 - y`).
  /// - Parameter selection: The window; by default the file's, else the fallback rule.
  public func windowedValues(_ selection: WindowSelection = .automatic) -> [Float] {
    let window = window(for: selection)
    let inverted = isInverted
    return values.map { value in
      let unit = Self.displayUnit(window.apply(Double(value)), inverted: inverted)
      return Float(unit)
    }
  }

  /// The windowed image as 8-bit samples, `[H, W, C]`: `floor(y * 255 + 0.5)` of `windowedValues`'s `y`
  /// (computed in Double).
  /// - Parameter selection: The window; by default the file's, else the fallback rule.
  public func windowedSamples8(_ selection: WindowSelection = .automatic) -> [UInt8] {
    let window = window(for: selection)
    let inverted = isInverted
    return values.map { value in
      let unit = Self.displayUnit(window.apply(Double(value)), inverted: inverted)
      return UInt8((unit * 255 + 0.5).rounded(.down))
    }
  }

  /// The window output inverted for MONOCHROME1, held in [0, 1] (NaN, from a window with infinite or
  /// NaN bounds, becomes 0).
  @inline(__always)
  private static func displayUnit(_ unit: Double, inverted: Bool) -> Double {
    guard unit.isFinite else { return 0 }
    let clamped = min(max(unit, 0), 1)
    return inverted ? 1 - clamped : clamped
  }

  /// The windowed 8-bit image, ready for `Preprocessor` (gray stays 1 channel; the preprocessor
  /// replicates it for 3-channel models).
  /// - Parameter selection: The window; by default the file's, else the fallback rule.
  public func sourceImage(window selection: WindowSelection = .automatic) -> Preprocessor.SourceImage {
    Preprocessor.SourceImage(
      pixels: windowedSamples8(selection), width: width, height: height, channels: channels)
  }
}
