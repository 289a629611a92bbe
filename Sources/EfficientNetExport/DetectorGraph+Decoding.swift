import EfficientNetDetection

extension DetectorGraph {
  /// The heads' outputs decoded against the anchors of the fixed input size, as ``BoxCoding`` and
  /// effdet's post-processing do before NMS: `boxes` `[N, A, 4]` (x1, y1, x2, y2 in input pixels) and
  /// `scores` `[N, A, classes]` (sigmoid), every anchor in effdet's order (level, row, column,
  /// anchor). Reshapes keep the batch axis free (`0` in their shape).
  mutating func decode(classOutputs: [String], boxOutputs: [String]) -> (boxes: String, scores: String) {
    let classCount = detector.configuration.classCount
    let codes = flatten(boxOutputs, width: 4, name: "codes")
    let logits = flatten(classOutputs, width: classCount, name: "logits")
    let scores = builder.node("Sigmoid", [logits], output: "scores")
    // Anchor centres and sizes from their Float corners, as BoxCoding.decode computes them.
    let anchors = AnchorGrid(layout: detector.layout, height: height, width: width).boxes
    let count = anchors.count
    func column(_ name: String, _ value: (BoxCorners) -> Float) -> String {
      builder.constant("anchors." + name, shape: [1, count, 1], values: anchors.map(value))
    }
    let centreY = column("centre_y") { ($0[0] + $0[2]) / 2 }
    let centreX = column("centre_x") { ($0[1] + $0[3]) / 2 }
    let anchorHeight = column("height") { $0[2] - $0[0] }
    let anchorWidth = column("width") { $0[3] - $0[1] }
    let split = builder.node(
      "Split", [codes], outputs: ["ty", "tx", "th", "tw"].map { "codes." + $0 },
      attributes: [ONNXAttribute.integer("axis", 2)])
    let (ty, tx, th, tw) = (split[0], split[1], split[2], split[3])
    let boxHeight = builder.node(
      "Mul", [builder.node("Exp", [th], output: "exp_th"), anchorHeight], output: "box_h")
    let boxWidth = builder.node(
      "Mul", [builder.node("Exp", [tw], output: "exp_tw"), anchorWidth], output: "box_w")
    let y = builder.node(
      "Add", [builder.node("Mul", [ty, anchorHeight], output: "ty_h"), centreY], output: "box_cy")
    let x = builder.node(
      "Add", [builder.node("Mul", [tx, anchorWidth], output: "tx_w"), centreX], output: "box_cx")
    let half = builder.constant("half", shape: [], values: [0.5])
    let halfHeight = builder.node("Mul", [boxHeight, half], output: "half_h")
    let halfWidth = builder.node("Mul", [boxWidth, half], output: "half_w")
    let corners = [
      builder.node("Sub", [x, halfWidth], output: "x1"), builder.node("Sub", [y, halfHeight], output: "y1"),
      builder.node("Add", [x, halfWidth], output: "x2"), builder.node("Add", [y, halfHeight], output: "y2"),
    ]
    let boxes = builder.node(
      "Concat", corners, output: "boxes", attributes: [ONNXAttribute.integer("axis", 2)])
    return (boxes, scores)
  }

  /// Per-level NCHW outputs `[N, k·width, H, W]` as one `[N, Σ H·W·k, width]` (NHWC order).
  private mutating func flatten(_ outputs: [String], width: Int, name: String) -> String {
    let shape = builder.integerConstant(name + ".shape", values: [0, -1, Int64(width)])
    let levels = outputs.map { output in
      let transposed = builder.node(
        "Transpose", [output], output: output + ".nhwc",
        attributes: [ONNXAttribute.integers("perm", [0, 2, 3, 1])])
      return builder.node("Reshape", [transposed, shape], output: output + ".rows")
    }
    return builder.node("Concat", levels, output: name, attributes: [ONNXAttribute.integer("axis", 1)])
  }
}
