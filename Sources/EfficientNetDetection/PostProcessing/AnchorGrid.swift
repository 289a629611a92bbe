import Foundation

/// A box as `[y1, x1, y2, x2]` or `[x1, y1, x2, y2]`, by context; corners in input pixels.
public typealias BoxCorners = SIMD4<Float>

/// EfficientDet's anchors (effdet's `Anchors`, the ported weights' convention): per level, at the
/// centre of every cell (`stride/2 + k·stride`), 3 octave scales `2^(i/3)` × 3 aspect ratios
/// (1, 1), (1.4, 0.7), (0.7, 1.4) as (x, y) multipliers, sized `anchorScale · stride · octave ·
/// ratio`; ordered level → row → column → scale → ratio, as `[y1, x1, y2, x2]`.
public struct AnchorGrid: Equatable, Sendable {
  /// The anchors in order, `[y1, x1, y2, x2]` in input pixels.
  public let boxes: [BoxCorners]

  /// The (x, y) multipliers of the three aspect ratios.
  public static let aspectRatios: [(x: Double, y: Double)] = [(1, 1), (1.4, 0.7), (0.7, 1.4)]
  /// The octave scales per level.
  public static let scalesPerOctave = 3

  /// The anchors of `layout` at an input of `height`×`width`.
  public init(layout: DetectorLayout, height: Int, width: Int) {
    let sizes = layout.levelSizes(height: height, width: width)
    let anchorScale = layout.configuration.anchorScale
    var boxes: [BoxCorners] = []
    for level in layout.configuration.levels {
      let size = sizes[level]!
      // Strides in double precision, from the input and level sizes (not always a power of 2).
      let strideY = Double(height) / Double(size.height)
      let strideX = Double(width) / Double(size.width)
      var halfExtents: [(y: Double, x: Double)] = []
      for octave in 0..<Self.scalesPerOctave {
        let factor = pow(2, Double(octave) / Double(Self.scalesPerOctave))
        for ratio in Self.aspectRatios {
          halfExtents.append(
            (anchorScale * strideY * factor * ratio.y / 2, anchorScale * strideX * factor * ratio.x / 2))
        }
      }
      let rows = Self.centres(stride: strideY, extent: height)
      let columns = Self.centres(stride: strideX, extent: width)
      for y in rows {
        for x in columns {
          for half in halfExtents {
            boxes.append(
              BoxCorners(Float(y - half.y), Float(x - half.x), Float(y + half.y), Float(x + half.x)))
          }
        }
      }
    }
    self.boxes = boxes
  }

  /// numpy's `arange(stride / 2, extent, stride)`: `⌈(extent − stride/2) / stride⌉` centres.
  static func centres(stride: Double, extent: Int) -> [Double] {
    let count = Int(((Double(extent) - stride / 2) / stride).rounded(.up))
    return (0..<max(count, 0)).map { stride / 2 + Double($0) * stride }
  }
}
