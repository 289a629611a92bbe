import EfficientNetTestSupport
import Foundation
import XCTest

/// Flags that size work (classes 3 and 2 of the hardening issue) and flag values a parser can get
/// wrong: each is refused by name, fast, in bounded memory, before anything big is allocated.
final class FlagHostileTests: XCTestCase {
  /// `info` with a φ or a block table that once trapped on overflow or ran for ever at 8 GB.
  func testInfoRefusesModelsPastTheLimits() throws {
    let cases: [([String], [String])] = [
      (["info", "--phi", "50"], ["--phi", "50"]),
      (["info", "--phi", "1000"], ["--phi", "1000"]),
      (["info", "--phi", "1e308"], ["--phi"]),
      (["info", "--phi", "100"], ["--phi", "100"]),
      (["info", "--phi", "-1"], ["phi", "-1"]),
      (["info", "--blocks", "ds_r1_k3_s1_e1_c99999999"], ["output channels", "99999999"]),
      (["info", "--blocks", "ir_r99999999_k3_s1_e6_c16"], ["repeats", "99999999"]),
      (["info", "--blocks", "ir_r1_k99_s1_e6_c16"], ["kernel size", "99"]),
      (["info", "--phi", "4", "--alpha", "1e300"], ["--phi"]),
    ]
    for (arguments, fragments) in cases {
      try assertToolRefuses(arguments, naming: fragments, peakMemoryMiB: 600, deadline: 20)
    }
  }

  /// Resolutions, batches and widths beyond their range, on every command that takes them.
  func testSizingFlagsHaveCheckedRanges() throws {
    let photo = HostileFixtures.photo
    let output = temporaryLocation("out.safetensors").path
    let cases: [([String], [String])] = [
      (["bench", "--resolution", "100000"], ["--resolution", "100000"]),
      (["bench", "--batch", "1000000000"], ["--batch", "1000000000"]),
      (["bench", "--batch", "1e9"], ["--batch", "1e9"]),
      (["bench", "--width", "1000"], ["--width", "1000"]),
      (["bench", "--depth", "nan"], ["--depth"]),
      (["embed", photo, "--output", output, "--resolution", "100000"], ["--resolution", "100000"]),
      (["embed", photo, "--output", output, "--batch-size", "1000000000"], ["--batch-size"]),
      (["train", "--data", photo, "--output", output, "--resolution", "100000"], ["--resolution"]),
      (["train", "--data", photo, "--output", output, "--batch-size", "1000000000"], ["--batch-size"]),
      (["train", "--data", photo, "--output", output, "--num-classes", "100000000"], ["--num-classes"]),
      (["train", "--data", photo, "--output", output, "--epochs", "0"], ["--epochs"]),
      // --weights given, so that the range check speaks (not the missing argument, whose usage line
      // listed --batch-size only while it was short enough not to be abbreviated).
      (["evaluate", "--weights", photo, "--data", photo, "--batch-size", "0"], ["--batch-size"]),
    ]
    for (arguments, fragments) in cases {
      try assertToolRefuses(arguments, naming: fragments, peakMemoryMiB: 600, deadline: 20)
    }
  }

  /// Within every range but too big for the machine: refused with the figure before allocating.
  func testWorkBeyondTheMachinesMemoryIsCostedAndRefused() throws {
    let output = temporaryLocation("out.safetensors").path
    let cases: [[String]] = [
      ["bench", "--resolution", "8192", "--batch", "4096"],
      ["bench", "--model", "b7", "--resolution", "2048", "--batch", "64", "--train"],
      ["embed", HostileFixtures.photo, "--output", output, "--resolution", "8192", "--batch-size", "4096"],
    ]
    for arguments in cases {
      let outcome = try assertToolRefuses(
        arguments, naming: ["needs about", "GiB", "available"], peakMemoryMiB: 600)
      XCTAssertFalse(FileManager.default.fileExists(atPath: output), outcome.summary)
    }
  }

  /// The grid search is costed before it is walked.
  func testSearchGridIsCostedBeforeItIsWalked() throws {
    for (flag, value) in [("--target", "1e9"), ("--grid-step", "1e-6"), ("--tolerance", "1e9")] {
      try assertToolRefuses(
        ["search", "--list", flag, value], naming: ["grid points", "--grid-step"], peakMemoryMiB: 600,
        deadline: 20)
    }
  }

  /// Negative numbers reach the range check of their option, and a file named like a flag is not
  /// read as flags (it once printed help and exited 0).
  func testNegativeNumbersAndDashFileNames() throws {
    let photo = HostileFixtures.photo
    let cases: [([String], [String])] = [
      (["classify", photo, "--top", "-3"], ["--top", "-3"]),
      (["classify", photo, "--threads", "-1"], ["--threads", "-1"]),
      (["train", "--data", photo, "--output", "x", "--lr", "-1"], ["--lr", "-1"]),
      (["train", "--data", photo, "--output", "x", "--weight-decay", "-0.5"], ["--weight-decay", "-0.5"]),
      (["bench", "--seconds", "-inf"], ["--seconds"]),
    ]
    for (arguments, fragments) in cases {
      try assertToolRefuses(arguments, naming: fragments, peakMemoryMiB: 600, deadline: 20)
    }
    let folder = try makeTemporaryFolder("dash")
    let dashed = "-dash.png"
    try FileManager.default.copyItem(atPath: photo, toPath: folder.appendingPathComponent(dashed).path)
    let outcome = try assertToolRefuses(
      ["classify", dashed], naming: [dashed, "./-dash.png"], deadline: 20, workingDirectory: folder)
    XCTAssertFalse(outcome.output.contains("USAGE"), outcome.summary)
  }
}
