import Foundation

/// Suppression of overlapping boxes of the same class.
public enum NonMaximumSuppression {
  /// Which suppression to run.
  public enum Method: Equatable, Sendable {
    /// Hard suppression: a box overlapping a kept one of its class by IoU > `threshold` is dropped
    /// (torchvision's `batched_nms`; effdet's default with 0.5).
    case hard(threshold: Float)
    /// Gaussian soft suppression: each kept box scales the scores of the rest of its class by
    /// `exp(−IoU²/σ)`, dropping those below `minimumScore` (effdet's `soft_nms` option with σ 0.5,
    /// minimum 0.001; the official evaluation's choice).
    case gaussian(sigma: Float, minimumScore: Float)

    /// effdet's prediction default.
    public static let standard = Method.hard(threshold: 0.5)
    /// effdet's soft-NMS settings.
    public static let soft = Method.gaussian(sigma: 0.5, minimumScore: 0.001)
  }

  /// The kept candidates' indices in decreasing order of their (possibly rescored) scores, with
  /// those scores.
  ///
  /// - Parameters:
  ///   - boxes: `[x1, y1, x2, y2]` per candidate.
  ///   - scores: one per candidate.
  ///   - classes: one per candidate; boxes of different classes never suppress each other.
  ///   - method: hard or Gaussian.
  ///   - limit: stop after this many kept.
  public static func select(
    boxes: [BoxCorners], scores: [Float], classes: [Int], method: Method, limit: Int
  ) -> [(index: Int, score: Float)] {
    switch method {
    case .hard(let threshold):
      // Highest score first; equal scores keep their candidate order.
      let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
      var keptByClass: [Int: [Int]] = [:]
      var kept: [(index: Int, score: Float)] = []
      for index in order where kept.count < limit {
        let others = keptByClass[classes[index], default: []]
        let overlaps = others.contains {
          BoxCoding.intersectionOverUnion(boxes[$0], boxes[index]) > threshold
        }
        if overlaps { continue }
        keptByClass[classes[index], default: []].append(index)
        kept.append((index, scores[index]))
      }
      return kept
    case .gaussian(let sigma, let minimumScore):
      var remaining = Array(scores.indices)
      var current = scores
      var kept: [(index: Int, score: Float)] = []
      while !remaining.isEmpty, kept.count < limit {
        // The first of the highest, as argmax takes it.
        var best = 0
        for position in remaining.indices where current[remaining[position]] > current[remaining[best]] {
          best = position
        }
        let top = remaining.remove(at: best)
        kept.append((top, current[top]))
        remaining.removeAll { index in
          if classes[index] == classes[top] {
            let overlap = BoxCoding.intersectionOverUnion(boxes[top], boxes[index])
            current[index] *= Foundation.exp(-(overlap * overlap) / sigma)
          }
          return current[index] <= minimumScore
        }
      }
      return kept
    }
  }
}
