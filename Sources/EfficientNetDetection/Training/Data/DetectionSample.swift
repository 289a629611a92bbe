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

  /// A sample of these pixels, boxes and classes.
  public init(pixels: [Float], boxes: [SIMD4<Float>], classes: [Int]) {
    self.pixels = pixels
    self.boxes = boxes
    self.classes = classes
  }
}

/// The random choices of one ``DetectionAugmentation`` sample.
public struct AugmentationDraw: Sendable, Equatable {
  /// Whether the image is mirrored left to right (before scaling, as effdet does).
  public var flips: Bool
  /// The factor of the fit-to-input scale.
  public var scaleFactor: Double
  /// Where the crop window starts, as fractions in [0, 1) of the scaled image's excess over the input.
  public var offsetFractionY: Double, offsetFractionX: Double
  /// The resampling filter; nil for the letterbox's own.
  public var interpolation: Interpolation?

  /// A draw with these choices.
  public init(
    flips: Bool, scaleFactor: Double, offsetFractionY: Double, offsetFractionX: Double,
    interpolation: Interpolation?
  ) {
    self.flips = flips
    self.scaleFactor = scaleFactor
    self.offsetFractionY = offsetFractionY
    self.offsetFractionX = offsetFractionX
    self.interpolation = interpolation
  }
}

/// effdet's training transform (`RandomFlip` then `RandomResizePad`): flip horizontally with
/// probability ½, scale the image by a random factor of the fit-to-input scale with bilinear or
/// bicubic resampling chosen at random, crop a random window of the input's size from it (or pad at
/// the right and bottom), and move the boxes with it, dropping those left empty.
public struct DetectionAugmentation: Sendable {
  /// The range of the scale factor (effdet's default 0.1–2.0); nil for the evaluation letterbox.
  public var scaleRange: ClosedRange<Double>? = 0.1...2.0
  /// The chance of a horizontal flip.
  public var flipProbability = 0.5
  /// The resampling filters drawn from (effdet's "random": bilinear or bicubic); empty for the
  /// letterbox's own.
  public var interpolations: [Interpolation] = [.bilinear, .bicubic]

  /// effdet's training defaults.
  public init() {}

  /// No augmentation: the evaluation letterbox.
  public static let none: DetectionAugmentation = {
    var augmentation = DetectionAugmentation()
    augmentation.scaleRange = nil
    augmentation.flipProbability = 0
    augmentation.interpolations = []
    return augmentation
  }()

  /// `image` with `boxes` (`[x, y, w, h]` in its pixels) and their `classes` as a training sample
  /// for `letterbox`'s input size and normalization, with a fresh draw from `generator`.
  public func sample<Generator: RandomNumberGenerator>(
    _ image: DecodedImage, boxes: [SIMD4<Double>], classes: [Int], letterbox: Letterbox,
    generator: inout Generator
  ) -> DetectionSample {
    let (canvas, kept, keptClasses) = transform(
      image, boxes: boxes, classes: classes, letterbox: letterbox, draw: draw(using: &generator))
    return DetectionSample(pixels: letterbox.normalized(canvas), boxes: kept, classes: keptClasses)
  }

  /// One set of random choices, in effdet's order: the flip, the scale factor, the crop offsets
  /// (as fractions of the slack) and the filter.
  public func draw<Generator: RandomNumberGenerator>(using generator: inout Generator) -> AugmentationDraw {
    let flips = flipProbability > 0 && Double.random(in: 0..<1, using: &generator) < flipProbability
    let factor = scaleRange.map { Double.random(in: $0, using: &generator) } ?? 1
    let offsetY = scaleRange == nil ? 0 : Double.random(in: 0..<1, using: &generator)
    let offsetX = scaleRange == nil ? 0 : Double.random(in: 0..<1, using: &generator)
    return AugmentationDraw(
      flips: flips, scaleFactor: factor, offsetFractionY: offsetY, offsetFractionX: offsetX,
      interpolation: interpolations.randomElement(using: &generator))
  }

  /// `image` flipped, scaled, cropped or padded as `draw` says: the RGB8 canvas `[H, W, 3]` of
  /// `letterbox`'s size, the boxes kept (`[y1, x1, y2, x2]` in canvas pixels) and their classes.
  public func transform(
    _ image: DecodedImage, boxes: [SIMD4<Double>], classes: [Int], letterbox: Letterbox,
    draw: AugmentationDraw
  ) -> (canvas: [UInt8], boxes: [SIMD4<Float>], classes: [Int]) {
    var source = image.convertedToRGB8()
    var boxes = boxes
    if draw.flips {
      source = Self.mirrored(source)
      let width = Double(source.width)
      boxes = boxes.map { SIMD4(width - $0[0] - $0[2], $0[1], $0[2], $0[3]) }
    }
    let (targetHeight, targetWidth) = (letterbox.height, letterbox.width)
    let scale = min(
      draw.scaleFactor * Double(targetHeight) / Double(source.height),
      draw.scaleFactor * Double(targetWidth) / Double(source.width))
    let scaledHeight = max(1, Int(Double(source.height) * scale))
    let scaledWidth = max(1, Int(Double(source.width) * scale))
    let offsetY = Int(Double(max(0, scaledHeight - targetHeight)) * draw.offsetFractionY)
    let offsetX = Int(Double(max(0, scaledWidth - targetWidth)) * draw.offsetFractionX)
    let keptHeight = min(scaledHeight, offsetY + targetHeight) - offsetY
    let keptWidth = min(scaledWidth, offsetX + targetWidth) - offsetX
    let resized = source.samples8.withUnsafeBufferPointer {
      Preprocessor.resize(
        pixels: $0, width: source.width, height: source.height, channels: 3, toWidth: scaledWidth,
        toHeight: scaledHeight, interpolation: draw.interpolation ?? letterbox.interpolation,
        keeping: Preprocessor.Region(x: offsetX, y: offsetY, width: keptWidth, height: keptHeight))
    }
    let fill = letterbox.fillColor
    var canvas = [UInt8](repeating: 0, count: targetHeight * targetWidth * 3)
    for row in 0..<min(keptHeight, targetHeight) {
      for column in 0..<targetWidth {
        for channel in 0..<3 {
          canvas[(row * targetWidth + column) * 3 + channel] =
            column < keptWidth ? resized[(row * keptWidth + column) * 3 + channel] : fill[channel]
        }
      }
    }
    for row in keptHeight..<max(keptHeight, targetHeight) {
      for column in 0..<targetWidth {
        for channel in 0..<3 { canvas[(row * targetWidth + column) * 3 + channel] = fill[channel] }
      }
    }
    var kept: [SIMD4<Float>] = []
    var keptClasses: [Int] = []
    for (box, classIndex) in zip(boxes, classes) {
      var y1 = box[1] * scale - Double(offsetY), x1 = box[0] * scale - Double(offsetX)
      var y2 = (box[1] + box[3]) * scale - Double(offsetY), x2 = (box[0] + box[2]) * scale - Double(offsetX)
      (y1, y2) = (min(max(y1, 0), Double(keptHeight)), min(max(y2, 0), Double(keptHeight)))
      (x1, x2) = (min(max(x1, 0), Double(keptWidth)), min(max(x2, 0), Double(keptWidth)))
      guard y1 < y2, x1 < x2 else { continue }
      kept.append(SIMD4(Float(y1), Float(x1), Float(y2), Float(x2)))
      keptClasses.append(classIndex)
    }
    return (canvas, kept, keptClasses)
  }

  /// `image` (RGB8) mirrored left to right.
  static func mirrored(_ image: DecodedImage) -> DecodedImage {
    var mirrored = image
    let (width, height) = (image.width, image.height)
    image.samples8.withUnsafeBufferPointer { source in
      mirrored.samples8.withUnsafeMutableBufferPointer { target in
        for row in 0..<height {
          for column in 0..<width {
            for channel in 0..<3 {
              target[(row * width + column) * 3 + channel] =
                source[(row * width + width - 1 - column) * 3 + channel]
            }
          }
        }
      }
    }
    return mirrored
  }
}
