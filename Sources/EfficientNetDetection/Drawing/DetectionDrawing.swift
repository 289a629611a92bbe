import EfficientNetImageIO

/// Detections drawn onto a photo: each box outlined in its class's colour, its label and score on
/// a filled tag above it (inside, when the box touches the top).
public enum DetectionDrawing {
  /// `image` (any layout; drawn on its 8-bit RGB form) with `detections` and their `labels`.
  public static func draw(_ detections: [Detection], on image: DecodedImage, labels: [String]) -> DecodedImage
  {
    let source = image.convertedToRGB8()
    var canvas = Canvas(width: source.width, height: source.height, pixels: source.samples8)
    let scale = max(1, min(source.width, source.height) / 320)
    let thickness = max(2, scale + 1)
    // The weakest first, so the best stay on top.
    for (detection, label) in zip(detections, labels).reversed() {
      let colour = DetectionDrawingColours.colour(forClass: detection.classIndex)
      let (x1, y1) = (Int(detection.box[0].rounded()), Int(detection.box[1].rounded()))
      let (x2, y2) = (Int(detection.box[2].rounded()), Int(detection.box[3].rounded()))
      for offset in 0..<thickness {
        canvas.fill(x: x1, y: y1 + offset, width: x2 - x1 + 1, height: 1, colour: colour)
        canvas.fill(x: x1, y: y2 - offset, width: x2 - x1 + 1, height: 1, colour: colour)
        canvas.fill(x: x1 + offset, y: y1, width: 1, height: y2 - y1 + 1, colour: colour)
        canvas.fill(x: x2 - offset, y: y1, width: 1, height: y2 - y1 + 1, colour: colour)
      }
      let text = "\(label) \(Int((detection.score * 100).rounded()))%"
      let tagWidth = (BitmapFont.width(of: text) + 4) * scale
      let tagHeight = (BitmapFont.glyphHeight + 4) * scale
      let tagY = y1 - tagHeight >= 0 ? y1 - tagHeight : y1
      canvas.fill(x: x1, y: tagY, width: tagWidth, height: tagHeight, colour: colour)
      canvas.write(text, x: x1 + 2 * scale, y: tagY + 2 * scale, scale: scale, colour: SIMD3(255, 255, 255))
    }
    return DecodedImage(width: source.width, height: source.height, channels: 3, samples8: canvas.pixels)
  }

  /// An RGB8 pixel buffer that clips every write to its bounds.
  struct Canvas {
    let width: Int, height: Int
    var pixels: [UInt8]

    mutating func fill(x: Int, y: Int, width fillWidth: Int, height fillHeight: Int, colour: SIMD3<UInt8>) {
      let (left, right) = (max(0, x), min(width, x + fillWidth))
      let (top, bottom) = (max(0, y), min(height, y + fillHeight))
      guard left < right, top < bottom else { return }
      let (columns, rows) = (left..<right, top..<bottom)
      for row in rows {
        for column in columns {
          let index = (row * width + column) * 3
          pixels[index] = colour.x
          pixels[index + 1] = colour.y
          pixels[index + 2] = colour.z
        }
      }
    }

    mutating func write(_ text: String, x: Int, y: Int, scale: Int, colour: SIMD3<UInt8>) {
      for (position, character) in text.enumerated() {
        let left = x + position * (BitmapFont.glyphWidth + 1) * scale
        for row in 0..<BitmapFont.glyphHeight {
          for column in 0..<BitmapFont.glyphWidth where BitmapFont.isInk(character, column: column, row: row)
          {
            fill(x: left + column * scale, y: y + row * scale, width: scale, height: scale, colour: colour)
          }
        }
      }
    }
  }
}

/// The colour each class is drawn in.
public enum DetectionDrawingColours {
  /// Box colours, by class (dark enough for white text).
  static let palette: [SIMD3<UInt8>] = [
    SIMD3(0, 114, 178), SIMD3(213, 94, 0), SIMD3(0, 158, 115), SIMD3(204, 121, 167), SIMD3(86, 180, 233),
    SIMD3(230, 159, 0), SIMD3(120, 94, 240), SIMD3(200, 30, 60),
  ]

  /// The colour of class `classIndex` (1-based).
  public static func colour(forClass classIndex: Int) -> SIMD3<UInt8> {
    palette[((classIndex - 1) % palette.count + palette.count) % palette.count]
  }
}
