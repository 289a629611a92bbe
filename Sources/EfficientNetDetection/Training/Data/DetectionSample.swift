import EfficientNetCore
import EfficientNetImageIO
import Foundation

/// One image ready for a detector's training step: the letterboxed, normalized input and its boxes
/// in input pixels.
public struct DetectionSample: Sendable {
  /// `[H, W, 3]` normalized values.
  public var pixels: [Float]
  /// Object boxes `[y1, x1, y2, x2]` in input pixels (effdet's target order).
  public var boxes: [SIMD4<Float>]
  /// Each box's class, 1-based (the dataset's category order).
  public var classes: [Int]
}

/// effdet's training transform (`RandomResizePad` then `RandomFlip`): scale the image by a random
/// factor of the fit-to-input scale, crop a random window of the input's size from it (or pad), flip
/// horizontally with probability ½, and move the boxes with it, dropping those left empty.
public struct DetectionAugmentation: Sendable {
  /// The range of the scale factor (effdet's default 0.1–2.0); nil for the evaluation letterbox.
  public var scaleRange: ClosedRange<Double>? = 0.1...2.0
  /// The chance of a horizontal flip.
  public var flipProbability = 0.5

  /// effdet's training defaults.
  public init() {}

  /// No augmentation: the evaluation letterbox.
  public static let none: DetectionAugmentation = {
    var augmentation = DetectionAugmentation()
    augmentation.scaleRange = nil
    augmentation.flipProbability = 0
    return augmentation
  }()

  /// `image` with `boxes` (`[x, y, w, h]` in its pixels) and their `classes` as a training sample
  /// for `letterbox`'s input size and normalization.
  public func sample<Generator: RandomNumberGenerator>(
    _ image: DecodedImage, boxes: [SIMD4<Double>], classes: [Int], letterbox: Letterbox,
    generator: inout Generator
  ) -> DetectionSample {
    let source = image.convertedToRGB8()
    let (targetHeight, targetWidth) = (letterbox.height, letterbox.width)
    let factor = scaleRange.map { Double.random(in: $0, using: &generator) } ?? 1
    let scale = min(
      factor * Double(targetHeight) / Double(source.height),
      factor * Double(targetWidth) / Double(source.width))
    let scaledHeight = max(1, Int(Double(source.height) * scale))
    let scaledWidth = max(1, Int(Double(source.width) * scale))
    let offsetY = Int(
      Double(max(0, scaledHeight - targetHeight))
        * (scaleRange == nil ? 0 : Double.random(in: 0..<1, using: &generator)))
    let offsetX = Int(
      Double(max(0, scaledWidth - targetWidth))
        * (scaleRange == nil ? 0 : Double.random(in: 0..<1, using: &generator)))
    let keptHeight = min(scaledHeight, offsetY + targetHeight) - offsetY
    let keptWidth = min(scaledWidth, offsetX + targetWidth) - offsetX
    let resized = source.samples8.withUnsafeBufferPointer {
      Preprocessor.resize(
        pixels: $0, width: source.width, height: source.height, channels: 3, toWidth: scaledWidth,
        toHeight: scaledHeight, interpolation: letterbox.interpolation,
        keeping: Preprocessor.Region(x: offsetX, y: offsetY, width: keptWidth, height: keptHeight))
    }
    let flips = flipProbability > 0 && Double.random(in: 0..<1, using: &generator) < flipProbability
    let fill = letterbox.fillColor
    var canvas = [UInt8](repeating: 0, count: targetHeight * targetWidth * 3)
    for row in 0..<targetHeight {
      for column in 0..<targetWidth {
        // A flip mirrors the whole canvas, padding included, as effdet flips after padding.
        let sourceColumn = flips ? targetWidth - 1 - column : column
        for channel in 0..<3 {
          canvas[(row * targetWidth + column) * 3 + channel] =
            row < keptHeight && sourceColumn < keptWidth
            ? resized[(row * keptWidth + sourceColumn) * 3 + channel] : fill[channel]
        }
      }
    }
    let pixels = letterbox.normalized(canvas)
    var kept: [SIMD4<Float>] = []
    var keptClasses: [Int] = []
    for (box, classIndex) in zip(boxes, classes) {
      var y1 = box[1] * scale - Double(offsetY), x1 = box[0] * scale - Double(offsetX)
      var y2 = (box[1] + box[3]) * scale - Double(offsetY), x2 = (box[0] + box[2]) * scale - Double(offsetX)
      (y1, y2) = (min(max(y1, 0), Double(keptHeight)), min(max(y2, 0), Double(keptHeight)))
      (x1, x2) = (min(max(x1, 0), Double(keptWidth)), min(max(x2, 0), Double(keptWidth)))
      guard y1 < y2, x1 < x2 else { continue }
      if flips { (x1, x2) = (Double(targetWidth) - x2, Double(targetWidth) - x1) }
      kept.append(SIMD4(Float(y1), Float(x1), Float(y2), Float(x2)))
      keptClasses.append(classIndex)
    }
    return DetectionSample(pixels: pixels, boxes: kept, classes: keptClasses)
  }
}
