/// One node of a BiFPN cell: the level it outputs and the nodes it reads.
public struct PyramidNode: Equatable, Sendable {
  /// The pyramid level of the node's output (3 = stride 8).
  public var level: Int
  /// The nodes it fuses, as indices into the cell's node list: `0…levels−1` are the cell's inputs
  /// (P3 first), then each node in order.
  public var inputs: [Int]

  /// A node at `level` fusing `inputs`.
  public init(level: Int, inputs: [Int]) {
    self.level = level
    self.inputs = inputs
  }
}

/// The BiFPN node list for a range of levels (effdet's `bifpn_config`, the paper's Figure 2d):
/// a top-down pass from the coarsest level but one to the finest, then a bottom-up pass back.
///
/// With P3–P7 (inputs 0…4) the nodes are P6′ = [3, 4], P5′ = [2, 5], P4′ = [1, 6], P3 = [0, 7],
/// then P4 = [1, 7, 8], P5 = [2, 6, 9], P6 = [3, 5, 10], P7 = [4, 11]; a cell's outputs are the
/// last node of each level, finest first.
public struct PyramidGraph: Equatable, Sendable {
  /// The levels, finest first.
  public let levels: ClosedRange<Int>
  /// The nodes in execution order.
  public let nodes: [PyramidNode]
  /// For each level, finest first, the index of the node (in the cell's numbering, inputs
  /// included) that is the cell's output at that level.
  public let outputs: [Int]

  /// The graph of a BiFPN cell over `levels`.
  public init(levels: ClosedRange<Int>) {
    self.levels = levels
    let count = levels.count
    var latest = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, [$0]) })
    var nodes: [PyramidNode] = []
    for level in levels.dropLast().reversed() {
      nodes.append(PyramidNode(level: level, inputs: [latest[level]!.last!, latest[level + 1]!.last!]))
      latest[level]!.append(count + nodes.count - 1)
    }
    for level in levels.dropFirst() {
      nodes.append(PyramidNode(level: level, inputs: latest[level]! + [latest[level - 1]!.last!]))
      latest[level]!.append(count + nodes.count - 1)
    }
    self.nodes = nodes
    outputs = levels.map { latest[$0]!.last! }
  }

  /// The level of node-or-input `index` in the cell's numbering.
  public func level(of index: Int) -> Int {
    index < levels.count ? levels.lowerBound + index : nodes[index - levels.count].level
  }
}
