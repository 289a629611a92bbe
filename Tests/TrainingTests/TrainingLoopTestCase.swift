import EfficientNetCore
import EfficientNetImageIO
import EfficientNetTraining
import Foundation
import XCTest

/// What the training-loop tests share: the Ctrl-C handler a test may have installed is removed after
/// each test, and synthetic two-class images. (Temporary folders: `temporaryLocation` of the support
/// target.)
class TrainingLoopTestCase: XCTestCase {
  override func tearDown() {
    Interruption.uninstall()
    super.tearDown()
  }

  /// `count` RGB images of `size`×`size`: image `index` gets class `label(index)`, and pixel (x, y)
  /// is bright (180–219) where `bright(x, y, label)`, dark (60–99) elsewhere, noise drawn from seed 5.
  func twoClassDataset(
    count: Int, size: Int, classNames: [String], label: (Int) -> Int, bright: (Int, Int, Int) -> Bool
  ) -> InMemoryDataset {
    var generator = SeededGenerator(seed: 5)
    var images: [Preprocessor.SourceImage] = []
    var labels: [Int] = []
    for index in 0..<count {
      let imageLabel = label(index)
      var pixels = [UInt8](repeating: 0, count: size * size * 3)
      for y in 0..<size {
        for x in 0..<size {
          let base = bright(x, y, imageLabel) ? 180 : 60
          for c in 0..<3 {
            pixels[(y * size + x) * 3 + c] = UInt8(clamping: base + Int(generator.next() % 40))
          }
        }
      }
      images.append(Preprocessor.SourceImage(pixels: pixels, width: size, height: size, channels: 3))
      labels.append(imageLabel)
    }
    return InMemoryDataset(images: images, labels: labels, classNames: classNames)
  }
}
