/// One image's training targets per pyramid level (effdet's `label_anchors` output), finest first.
public struct AnchorLabels: Equatable, Sendable {
  /// Class targets per level, `[H, W, 9]` flattened: a matched anchor's 0-based class, `-1` for
  /// background (effdet gives ignored anchors `-1` too; the loss also skips any `-2`).
  public var classTargets: [[Int]]
  /// Box targets per level, `[H, W, 36]` flattened: `[ty, tx, th, tw]` for matched anchors, else 0.
  public var boxTargets: [[Float]]
  /// The number of matched anchors.
  public var positiveCount: Int

  /// Labels from their parts.
  public init(classTargets: [[Int]], boxTargets: [[Float]], positiveCount: Int) {
    self.classTargets = classTargets
    self.boxTargets = boxTargets
    self.positiveCount = positiveCount
  }

  /// The class target marking an anchor the loss skips.
  public static let ignoredClass = -2
  /// The class target of a background anchor.
  public static let backgroundClass = -1
}
