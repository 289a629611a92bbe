import Foundation

/// A DICOM value-of-interest window: which range of modality values (Hounsfield units for CT, after
/// rescale) is spread over the display range.
///
/// The formulas are the standard's (PS3.3 C.11.2.1.2 and C.11.2.1.3), with the output range [0, 1]:
/// - `linear`: 0 when `x <= c - 0.5 - (w - 1) / 2`, 1 when `x > c - 0.5 + (w - 1) / 2`, else
///   `(x - (c - 0.5)) / (w - 1) + 0.5`. Widths below 1 count as 1 (a threshold at `c - 0.5`).
/// - `linearExact`: 0 when `x <= c - w / 2`, 1 when `x > c + w / 2`, else `(x - c) / w + 0.5`. A width
///   of 0 or less is a threshold at `c`.
/// - `sigmoid`: `1 / (1 + exp(-4 (x - c) / w))`.
public struct VOIWindow: Sendable, Equatable {
  /// The VOI LUT Function (0028,1056).
  public enum Function: String, Sendable, Equatable {
    /// "LINEAR", the default.
    case linear = "LINEAR"
    /// "LINEAR_EXACT".
    case linearExact = "LINEAR_EXACT"
    /// "SIGMOID".
    case sigmoid = "SIGMOID"
  }

  /// Window Center (0028,1050), in modality units.
  public var center: Double
  /// Window Width (0028,1051), in modality units.
  public var width: Double
  /// How values inside the window are mapped.
  public var function: Function

  /// A window.
  /// - Parameters:
  ///   - center: The value mapped to the middle of the output range.
  ///   - width: The range of values spread over the output range.
  ///   - function: The mapping, linear by default.
  public init(center: Double, width: Double, function: Function = .linear) {
    self.center = center
    self.width = width
    self.function = function
  }

  /// The window that maps `range` onto [0, 1] exactly (`linearExact`, center at the middle).
  /// - Parameter range: The lowest and highest values; equal bounds make a threshold.
  public init(spanning range: ClosedRange<Double>) {
    self.init(
      center: (range.lowerBound + range.upperBound) / 2, width: range.upperBound - range.lowerBound,
      function: .linearExact)
  }

  /// The output, in [0, 1], for a modality value `x`.
  @inline(__always)
  public func apply(_ x: Double) -> Double {
    switch function {
    case .linear:
      let width = max(self.width, 1)
      if x <= center - 0.5 - (width - 1) / 2 { return 0 }
      if x > center - 0.5 + (width - 1) / 2 { return 1 }
      return (x - (center - 0.5)) / (width - 1) + 0.5
    case .linearExact:
      if width <= 0 { return x > center ? 1 : 0 }
      if x <= center - width / 2 { return 0 }
      if x > center + width / 2 { return 1 }
      return (x - center) / width + 0.5
    case .sigmoid:
      if width <= 0 { return x > center ? 1 : 0 }
      return 1 / (1 + Foundation.exp(-4 * (x - center) / width))
    }
  }
}

/// Which window `MedicalImage` applies when it makes a display (8-bit) image.
public enum WindowSelection: Sendable, Equatable {
  /// The file's window when it has one (DICOM Window Center / Width, first values), otherwise the
  /// image's `fallbackWindow` rule: minimum–maximum for monochrome DICOM and 16-bit PNG, the nominal
  /// range for colour DICOM and 8-bit PNG / JPEG (which leaves 8-bit pixels unchanged).
  case automatic
  /// The image's own lowest to highest value.
  case minimumMaximum
  /// The range the stored bits can hold (for example 0...4095 for 12 bits), after rescale.
  case nominalRange
  /// A given window.
  case fixed(VOIWindow)
}
