import Foundation

/// One image of a COCO-format annotation file.
public struct COCOImage: Equatable, Sendable {
  /// The image's `id`.
  public var identifier: Int
  /// The image's `file_name`, relative to the dataset's image folder.
  public var fileName: String
  /// The image's `width` in pixels.
  public var width: Int
  /// The image's `height` in pixels.
  public var height: Int

  /// An image of `identifier`, `fileName`, `width` and `height`.
  public init(identifier: Int, fileName: String, width: Int, height: Int) {
    self.identifier = identifier
    self.fileName = fileName
    self.width = width
    self.height = height
  }
}

/// One object box of a COCO-format annotation file.
public struct COCOAnnotation: Equatable, Sendable {
  /// The annotation's `id`.
  public var identifier: Int
  /// The `id` of the image it belongs to.
  public var imageIdentifier: Int
  /// The `id` of its category.
  public var categoryIdentifier: Int
  /// `bbox`: `[x, y, width, height]` in pixels, (x, y) the top-left corner.
  public var box: SIMD4<Double>
  /// `area`: the object's area in pixels (the mask's, in COCO itself), which decides its size range.
  public var area: Double
  /// `iscrowd`: the box covers a group of objects; detections inside it are neither right nor wrong.
  public var isCrowd: Bool
  /// The optional `ignore` flag (pycocotools reads it but lets `iscrowd` decide; see
  /// ``COCOEvaluationParameters/honorsIgnoreFlag``).
  public var isIgnored: Bool

  /// An annotation of the given fields.
  public init(
    identifier: Int, imageIdentifier: Int, categoryIdentifier: Int, box: SIMD4<Double>, area: Double,
    isCrowd: Bool = false, isIgnored: Bool = false
  ) {
    self.identifier = identifier
    self.imageIdentifier = imageIdentifier
    self.categoryIdentifier = categoryIdentifier
    self.box = box
    self.area = area
    self.isCrowd = isCrowd
    self.isIgnored = isIgnored
  }
}

/// One category of a COCO-format annotation file.
public struct COCOCategory: Equatable, Sendable {
  /// The category's `id`.
  public var identifier: Int
  /// The category's `name`.
  public var name: String

  /// A category of `identifier` and `name`.
  public init(identifier: Int, name: String) {
    self.identifier = identifier
    self.name = name
  }
}

/// A COCO-format detection dataset: its images, their boxes and the categories, as the file lists them.
public struct COCODataset: Sendable {
  /// The images, in the file's order.
  public var images: [COCOImage]
  /// The annotations, in the file's order.
  public var annotations: [COCOAnnotation]
  /// The categories, in the file's order (a detector's class `i`, 1-based, is `categories[i - 1]`).
  public var categories: [COCOCategory]
  /// The folder image file names are relative to.
  public var imageFolder: URL

  /// A dataset of the given parts, not checked (``COCOAnnotationReader`` checks what it reads).
  public init(
    images: [COCOImage], annotations: [COCOAnnotation], categories: [COCOCategory],
    imageFolder: URL = URL(fileURLWithPath: ".")
  ) {
    self.images = images
    self.annotations = annotations
    self.categories = categories
    self.imageFolder = imageFolder
  }

  /// The file of `image`: its `file_name` inside ``imageFolder``.
  public func path(of image: COCOImage) -> URL {
    imageFolder.appendingPathComponent(image.fileName)
  }

  /// The annotations of every image, by image `id` (images without any map to an empty list).
  public func annotationsByImage() -> [Int: [COCOAnnotation]] {
    var byImage = Dictionary(uniqueKeysWithValues: images.map { ($0.identifier, [COCOAnnotation]()) })
    for annotation in annotations {
      byImage[annotation.imageIdentifier, default: []].append(annotation)
    }
    return byImage
  }

  /// The category `id` of a detector's class `classIndex` (1-based, in ``categories`` order), or nil
  /// when there is no such class.
  public func categoryIdentifier(classIndex: Int) -> Int? {
    categories.indices.contains(classIndex - 1) ? categories[classIndex - 1].identifier : nil
  }
}
