import EfficientNetTestSupport
import EfficientNetTraining
import Foundation
import XCTest

/// Reads a run's `curves.svg` back and checks that each line's points are the epoch records' values,
/// as the picture's own ticks place them: the loss panel first, the accuracy panel (percent) second.
func assertCurves(
  in folder: URL, match records: [EpochRecord], file: StaticString = #filePath, line: UInt = #line
)
  throws
{
  let reading = try SVGReading(contentsOf: folder.appendingPathComponent(TrainingCurves.fileName))
  let panels: [(group: Int, lines: [(name: String, values: [Double?])])] = [
    (0, [("training", records.map(\.trainingLoss)), ("validation", records.map(\.validationLoss))]),
    (
      1,
      [
        ("training", records.map { $0.trainingAccuracy * 100 }),
        ("validation", records.map { $0.validationTop1.map { $0 * 100 } }),
      ]
    ),
  ]
  for panel in panels {
    let x = try SVGAxisReading(reading, axis: "x", group: panel.group)
    let y = try SVGAxisReading(reading, axis: "y", group: panel.group)
    let drawn = reading.elements(role: "series").filter { $0.group == panel.group }
    XCTAssertEqual(
      drawn.map { $0.attributes["data-series"] }, panel.lines.map(\.name), file: file, line: line)
    for (element, expected) in zip(drawn, panel.lines) {
      let values = expected.values.compactMap { $0 }
      XCTAssertEqual(element.points.count, records.count, "\(expected.name) points", file: file, line: line)
      for (index, (point, value)) in zip(element.points, values).enumerated() {
        XCTAssertEqual(
          x.value(atPixel: point.x), Double(records[index].epoch + 1), accuracy: 1e-3, file: file, line: line)
        // Coordinates are written to a hundredth of a pixel.
        XCTAssertEqual(
          y.value(atPixel: point.y), value, accuracy: y.unitsPerPixel(near: value) * 0.01 + 1e-12,
          "\(expected.name) epoch \(index + 1)", file: file, line: line)
      }
    }
  }
}
