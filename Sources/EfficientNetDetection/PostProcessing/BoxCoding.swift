import Foundation

/// The Faster R-CNN box coder EfficientDet uses (no variances): targets `[ty, tx, th, tw]` with
/// `ty = (y − yₐ)/hₐ`, `th = log(h/hₐ)`, relative to an anchor's centre and size.
public enum BoxCoding {
  /// The box that `code` encodes against `anchor` (`[y1, x1, y2, x2]`), as `[x1, y1, x2, y2]`,
  /// in single precision as effdet computes it.
  public static func decode(_ code: SIMD4<Float>, anchor: BoxCorners) -> BoxCorners {
    let anchorCentreY = (anchor[0] + anchor[2]) / 2
    let anchorCentreX = (anchor[1] + anchor[3]) / 2
    let anchorHeight = anchor[2] - anchor[0]
    let anchorWidth = anchor[3] - anchor[1]
    let width = Foundation.exp(code[3]) * anchorWidth
    let height = Foundation.exp(code[2]) * anchorHeight
    let centreY = code[0] * anchorHeight + anchorCentreY
    let centreX = code[1] * anchorWidth + anchorCentreX
    return BoxCorners(centreX - width / 2, centreY - height / 2, centreX + width / 2, centreY + height / 2)
  }

  /// The intersection over union of two `[x1, y1, x2, y2]` boxes (0 when they do not overlap).
  public static func intersectionOverUnion(_ first: BoxCorners, _ second: BoxCorners) -> Float {
    let width = max(min(first[2], second[2]) - max(first[0], second[0]), 0)
    let height = max(min(first[3], second[3]) - max(first[1], second[1]), 0)
    let intersection = width * height
    guard intersection > 0 else { return 0 }
    let firstArea = (first[2] - first[0]) * (first[3] - first[1])
    let secondArea = (second[2] - second[0]) * (second[3] - second[1])
    return intersection / (firstArea + secondArea - intersection)
  }
}
