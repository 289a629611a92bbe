// Decode speed, one thread, on real images held in memory and read from disk (the chest X-rays of
// ../shared/data/chest-xray-16, 968×592 to 1776×1416 grayscale JPEGs, are the reference set):
//
//     swift run -c release DecodingThroughput [--rounds R] FILE_OR_FOLDER...
//
// Compare with Pillow, `Image.open(p).convert("RGB")` over the same files in the same session.
import BenchmarkSupport
import EfficientNetImageIO
import Foundation

let usage = "usage: DecodingThroughput [--rounds R] FILE_OR_FOLDER..."
let arguments = BenchmarkArguments(
  Array(CommandLine.arguments.dropFirst()), defaults: ["rounds": 7], usage: usage)
let urls = ImageFiles.collect(arguments.positional)
let files = try urls.map { (url: $0, data: try Data(contentsOf: $0)) }
let timer = PassTimer(passes: arguments["rounds"])
print("\(files.count) images, best and median of \(timer.passes) passes")

/// Times `timer.passes` passes of `decode` over every file and prints images per second; `decode`
/// returns a sample count that goes into a printed checksum, so no pass can be optimised away.
func measure(_ label: String, _ decode: (URL, Data) throws -> Int) throws {
  var checksum = 0
  let times = try timer.measure(warmUp: { checksum &+= try decode(files[0].url, files[0].data) }) {
    for file in files { checksum &+= try decode(file.url, file.data) }
  }
  let best = Double(files.count) / times.best
  let median = Double(files.count) / times.median
  print(
    String(
      format: "%@: best %.1f images/s (%.2f ms/image), median %.1f images/s, checksum %d", label, best,
      1000 / best, median, checksum))
}

try measure("decode (native, in memory)") { url, data in
  try ImageDecoder.decode(data: data, source: url.path).samples8.count
}
try measure("decode + convertedToRGB8 (in memory)") { url, data in
  try ImageDecoder.decode(data: data, source: url.path).convertedToRGB8().samples8.count
}
try measure("decode with pixelFormat .rgb8 (in memory)") { url, data in
  try ImageDecoder.decode(data: data, source: url.path, pixelFormat: .rgb8).samples8.count
}
try measure("read file + decode .rgb8") { url, _ in
  try ImageDecoder.decode(contentsOf: url, pixelFormat: .rgb8).samples8.count
}
try measure("read file + decode + convertedToRGB8") { url, _ in
  try ImageDecoder.decode(contentsOf: url).convertedToRGB8().samples8.count
}
