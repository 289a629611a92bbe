/// What an anchor was matched to: a ground-truth box, nothing, or neither (effdet's match results
/// `≥ 0`, `-1` and `-2`).
public enum AnchorMatch: Equatable, Sendable {
  /// The anchor takes the ground-truth box at this index.
  case matched(Int)
  /// The anchor is a negative (background).
  case unmatched
  /// The anchor lies between the thresholds and is ignored.
  case ignored
}

/// effdet's `ArgMaxMatcher` with `negatives_lower_than_unmatched` and `force_match_for_each_row`:
/// each anchor takes its best box (the first on ties) when the IoU reaches `matchedThreshold`, is
/// ignored from `unmatchedThreshold` up to it and negative below; then each box takes its best anchor
/// (the first on ties, even when every IoU is 0), the lowest box winning an anchor two boxes choose.
public struct AnchorMatching: Sendable {
  /// The IoU from which an anchor is matched.
  public var matchedThreshold: Float
  /// The IoU below which an anchor is negative.
  public var unmatchedThreshold: Float

  /// A matcher with the given thresholds (effdet's labeler uses 0.5 for both).
  public init(matchedThreshold: Float = 0.5, unmatchedThreshold: Float = 0.5) {
    self.matchedThreshold = matchedThreshold
    self.unmatchedThreshold = unmatchedThreshold
  }

  /// The match of every anchor, from `similarity[box][anchor]` (every row as long as `anchorCount`).
  public func matches(similarity: [[Float]], anchorCount: Int) -> [AnchorMatch] {
    guard !similarity.isEmpty else { return Array(repeating: .unmatched, count: anchorCount) }
    var matches: [AnchorMatch] = (0..<anchorCount).map { anchor in
      var best = 0
      for box in similarity.indices.dropFirst() where similarity[box][anchor] > similarity[best][anchor] {
        best = box
      }
      let value = similarity[best][anchor]
      if unmatchedThreshold > value { return .unmatched }
      if matchedThreshold > value { return .ignored }
      return .matched(best)
    }
    // Force matches: the later boxes first, so that the lowest box keeps an anchor both choose.
    for box in similarity.indices.reversed() {
      let row = similarity[box]
      var best = 0
      for anchor in row.indices.dropFirst() where row[anchor] > row[best] { best = anchor }
      matches[best] = .matched(box)
    }
    return matches
  }
}
