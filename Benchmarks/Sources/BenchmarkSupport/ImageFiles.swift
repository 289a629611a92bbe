import Foundation

/// The image files a benchmark reads.
public enum ImageFiles {
  /// The `.jpg`, `.jpeg` and `.png` files named in `paths` or found below the folders among them,
  /// sorted by path; stops the program when a path is missing or no image is found.
  public static func collect(_ paths: [String]) -> [URL] {
    var files: [URL] = []
    for path in paths {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        exitWithUsageError("\(path): missing")
      }
      guard isDirectory.boolValue else {
        files.append(URL(fileURLWithPath: path))
        continue
      }
      let walker = FileManager.default.enumerator(atPath: path)
      while let name = walker?.nextObject() as? String {
        if ["jpg", "jpeg", "png"].contains((name as NSString).pathExtension.lowercased()) {
          files.append(URL(fileURLWithPath: path).appendingPathComponent(name))
        }
      }
    }
    if files.isEmpty { exitWithUsageError("no .jpg, .jpeg or .png images in \(paths)") }
    return files.sorted { $0.path < $1.path }
  }
}
