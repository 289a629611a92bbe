import EfficientNetImageIO
import Foundation

extension RandomResizedCropConfiguration {
  /// Draws a crop as torchvision's `RandomResizedCrop.get_params` does.
  ///
  /// Up to 10 attempts: area `= uniform(scale) · width · height`, aspect ratio `= exp(uniform(log
  /// ratio))`, crop width `round(√(area · ratio))` and height `round(√(area / ratio))` (halves to even);
  /// the first that fits (both sides at least 1 and within the image) is placed uniformly at random.
  /// If none fits, the fallback is a center crop: the whole image when its aspect ratio lies in `ratio`,
  /// else the largest centered crop at the nearest bound of `ratio`.
  ///
  /// - Parameters:
  ///   - width: The image width, at least 1.
  ///   - height: The image height, at least 1.
  ///   - random: The sample's random source.
  /// - Returns: A region inside the image.
  public func region(width: Int, height: Int, random: inout AugmentationRandom) -> Preprocessor.Region {
    precondition(width >= 1 && height >= 1, "image size must be positive, got \(width)×\(height)")
    let area = Double(width * height)
    let logRatio = log(ratio.lowerBound)...log(ratio.upperBound)
    for _ in 0..<10 {
      let targetArea = area * random.uniform(in: scale)
      let aspectRatio = exp(random.uniform(in: logRatio))
      let cropWidth = Int((targetArea * aspectRatio).squareRoot().rounded(.toNearestOrEven))
      let cropHeight = Int((targetArea / aspectRatio).squareRoot().rounded(.toNearestOrEven))
      if cropWidth >= 1 && cropWidth <= width && cropHeight >= 1 && cropHeight <= height {
        let top = random.integer(in: 0...(height - cropHeight))
        let left = random.integer(in: 0...(width - cropWidth))
        return Preprocessor.Region(x: left, y: top, width: cropWidth, height: cropHeight)
      }
    }
    let imageRatio = Double(width) / Double(height)
    var cropWidth = width, cropHeight = height
    if imageRatio < ratio.lowerBound {
      cropHeight = Int((Double(width) / ratio.lowerBound).rounded(.toNearestOrEven))
    } else if imageRatio > ratio.upperBound {
      cropWidth = Int((Double(height) * ratio.upperBound).rounded(.toNearestOrEven))
    }
    cropWidth = max(1, min(width, cropWidth))
    cropHeight = max(1, min(height, cropHeight))
    return Preprocessor.Region(
      x: (width - cropWidth) / 2, y: (height - cropHeight) / 2, width: cropWidth, height: cropHeight)
  }
}
