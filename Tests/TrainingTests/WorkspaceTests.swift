import EfficientNetCore
import EfficientNetLayers
import XCTest

final class WorkspaceTests: XCTestCase {
  /// A pass with a smaller batch (an epoch's last) and the full passes after it reuse the storage
  /// of the first pass: the same addresses, no new bytes, the sizes asked for.
  func testSmallerPassesReuseTheLargestStorage() {
    let workspace = Workspace()
    let first = [workspace.next(1000), workspace.next(300)]
    XCTAssertEqual(workspace.byteCount, 1300 * 4)
    workspace.reset()
    let smaller = [workspace.next(250), workspace.next(75)]
    XCTAssertEqual(smaller.map(\.count), [250, 75])
    XCTAssertEqual(smaller.map(\.pointer), first.map(\.pointer))
    XCTAssertEqual(workspace.byteCount, 1300 * 4)
    smaller[0].write(250).update(repeating: 7)
    workspace.reset()
    let again = [workspace.next(1000), workspace.next(300)]
    XCTAssertTrue(again[0] === first[0], "the full size hands out the storage itself again")
    XCTAssertEqual(again[0].read(250).reduce(0, +), 250 * 7, "a view writes into its storage")
    workspace.reset()
    let larger = workspace.next(1200)
    XCTAssertEqual(larger.count, 1200)
    XCTAssertEqual(workspace.byteCount, 1500 * 4, "a larger request grows its place only")
  }

  /// A view keeps its storage alive after the workspace replaced it.
  func testAViewOutlivesItsReplacedStorage() {
    let workspace = Workspace()
    _ = workspace.next(100)
    workspace.reset()
    let view = workspace.next(40)
    view.write(40).update(repeating: 2)
    workspace.reset()
    _ = workspace.next(500)
    XCTAssertEqual(view.read(40).reduce(0, +), 80)
  }
}
