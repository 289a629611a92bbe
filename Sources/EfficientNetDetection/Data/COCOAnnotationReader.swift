import Foundation

/// Reads COCO-format annotation files (`images`, `annotations`, `categories`) into a ``COCODataset``,
/// checking every field: each problem is a ``COCOFormatError`` naming the file and the field.
///
/// `annotations` may be missing (no boxes); an annotation's `area` defaults to its box's width times
/// height, `iscrowd` and `ignore` to 0. Ids must be unique within each list, an annotation's `image_id`
/// and `category_id` must be listed, boxes are four finite numbers of non-negative width and height.
public struct COCOAnnotationReader: Sendable {
  /// Files above this many bytes are refused before they are read (512 MiB).
  public var sizeLimit = 512 << 20

  /// A reader of files up to ``sizeLimit`` bytes.
  public init() {}

  /// The dataset of the file `url`; images are looked for in `imageFolder`, or the file's own folder.
  public func read(_ url: URL, imageFolder: URL? = nil) throws -> COCODataset {
    let json = try JSONFileLoading.load(url, sizeLimit: sizeLimit)
    return try dataset(json, file: url.path, imageFolder: imageFolder ?? url.deletingLastPathComponent())
  }

  /// The dataset of `data`, named `name` in errors, its images in `imageFolder`.
  public func read(_ data: Data, name: String, imageFolder: URL) throws -> COCODataset {
    let json = try JSONFileLoading.parse(data, name: name, sizeLimit: sizeLimit)
    return try dataset(json, file: name, imageFolder: imageFolder)
  }

  /// The dataset of the parsed JSON `json`.
  func dataset(_ json: Any, file: String, imageFolder: URL) throws -> COCODataset {
    let root = try JSONFields(json, path: "", file: file)
    let images = try Self.list(root, "images", required: true) { fields in
      let image = try COCOImage(
        identifier: fields.integer("id"), fileName: fields.string("file_name"),
        width: fields.integer("width"), height: fields.integer("height"))
      if image.width <= 0 { throw fields.error("width", "expected a positive width, got \(image.width)") }
      if image.height <= 0 { throw fields.error("height", "expected a positive height, got \(image.height)") }
      return image
    }
    let categories = try Self.list(root, "categories", required: true) { fields in
      try COCOCategory(identifier: fields.integer("id"), name: fields.string("name"))
    }
    let imageIdentifiers = try Self.unique(images.map(\.identifier), list: "images", file: file)
    let categoryIdentifiers = try Self.unique(categories.map(\.identifier), list: "categories", file: file)
    let annotations = try Self.list(root, "annotations", required: false) { fields in
      let box = try fields.box("bbox")
      let annotation = try COCOAnnotation(
        identifier: fields.integer("id"), imageIdentifier: fields.integer("image_id"),
        categoryIdentifier: fields.integer("category_id"), box: box,
        area: fields.number("area", fallback: box[2] * box[3]), isCrowd: fields.flag("iscrowd"),
        isIgnored: fields.flag("ignore"))
      if !imageIdentifiers.contains(annotation.imageIdentifier) {
        throw fields.error("image_id", "\(annotation.imageIdentifier) is not an id of images")
      }
      if !categoryIdentifiers.contains(annotation.categoryIdentifier) {
        throw fields.error("category_id", "\(annotation.categoryIdentifier) is not an id of categories")
      }
      if annotation.area < 0 { throw fields.error("area", "negative area \(annotation.area)") }
      return annotation
    }
    _ = try Self.unique(annotations.map(\.identifier), list: "annotations", file: file)
    return COCODataset(
      images: images, annotations: annotations, categories: categories, imageFolder: imageFolder)
  }

  /// The elements of list `key` of `root`, each read by `element` from its fields.
  static func list<Element>(
    _ root: JSONFields, _ key: String, required: Bool, _ element: (JSONFields) throws -> Element
  ) throws -> [Element] {
    guard root.members[key] != nil || required else { return [] }
    guard let values = try root.required(key) as? [Any] else { throw root.error(key, "expected a list") }
    return try values.enumerated().map { index, value in
      try element(JSONFields(value, path: "\(key)[\(index)]", file: root.file))
    }
  }

  /// The set of `identifiers`, or an error naming the first repeated one.
  static func unique(_ identifiers: [Int], list: String, file: String) throws -> Set<Int> {
    var seen = Set<Int>()
    for (index, identifier) in identifiers.enumerated() where !seen.insert(identifier).inserted {
      throw COCOFormatError(file: file, field: "\(list)[\(index)].id", problem: "duplicate id \(identifier)")
    }
    return seen
  }
}
