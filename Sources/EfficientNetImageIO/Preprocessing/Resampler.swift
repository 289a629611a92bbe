import EfficientNetKernels

/// The fast Pillow-exact 8-bit resize: two separable passes, each rounding and clipping to 8 bits,
/// with Pillow's fixed-point coefficients and integer accumulation.
///
/// Pillow (13 and later) runs the horizontal pass first unless the height shrinks by more than
/// twice as many pixels as the width (then the vertical pass goes first); the order changes the
/// intermediate rounding, so it is followed here.
///
/// Only the output pixels inside `region` are computed. Every output pixel depends on its own
/// coefficients and on the intermediate pixels its taps read, which do not depend on the region, so
/// the region's pixels equal those of the full resize (the tests check this). The first pass runs
/// only over the input rows (or columns) that the region's output rows (columns) read.
enum Resampler {
  /// Whether Pillow runs the vertical pass first for this resize (both passes being needed).
  static func verticalFirst(width: Int, height: Int, outputWidth: Int, outputHeight: Int) -> Bool {
    outputHeight < height && height - outputHeight > 2 * (width - outputWidth)
  }

  /// Resizes `source` (`height × width × channels`, interleaved) to `outputHeight × outputWidth` and
  /// writes the pixels of `region` of the result to `destination` (`region.height × region.width ×
  /// channels`).
  static func resize(
    source: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int, outputWidth: Int,
    outputHeight: Int, interpolation: Interpolation, region: Preprocessor.Region,
    into destination: UnsafeMutableBufferPointer<UInt8>
  ) {
    precondition(channels == 1 || channels == 3, "channels must be 1 or 3, got \(channels)")
    precondition(source.count >= width * height * channels, "source holds fewer than width × height pixels")
    precondition(destination.count >= region.width * region.height * channels, "destination too small")
    guard region.width > 0 && region.height > 0, let source = source.baseAddress,
      let destination = destination.baseAddress
    else { return }
    let sourceCount = width * height * channels
    let sourceRowBytes = width * channels
    let regionRowBytes = region.width * channels
    let columns = region.x..<(region.x + region.width)
    let rows = region.y..<(region.y + region.height)
    // Like Pillow, skip a pass whose size does not change (it would be the identity anyway).
    let vertical =
      outputHeight == height
      ? nil
      : ResamplingCoefficients(
        inputSize: height, outputSize: outputHeight, interpolation: interpolation, outputs: rows)
    let horizontal =
      outputWidth == width
      ? nil
      : ResamplingCoefficients(
        inputSize: width, outputSize: outputWidth, interpolation: interpolation, outputs: columns)

    switch (horizontal, vertical) {
    case (nil, nil):
      for row in rows {
        (destination + (row - rows.lowerBound) * regionRowBytes).update(
          from: source + row * sourceRowBytes + region.x * channels, count: regionRowBytes)
      }
    case (let horizontal?, nil):
      resampleRows(
        source: source, sourceCount: sourceCount, rowBytes: sourceRowBytes, firstColumn: 0,
        channels: channels, rows: rows, coefficients: horizontal, destination: destination)
    case (nil, let vertical?):
      resampleColumns(
        source: source + region.x * channels, sourceRowBytes: sourceRowBytes, firstRow: 0,
        rowBytes: regionRowBytes, coefficients: vertical, destination: destination)
    case (let horizontal?, let vertical?)
    where verticalFirst(width: width, height: height, outputWidth: outputWidth, outputHeight: outputHeight):
      // Vertical pass over the input columns the region's output columns read, then horizontal.
      let sourceColumns = horizontal.inputSpan
      let intermediateRowBytes = sourceColumns.count * channels
      let intermediate = UnsafeMutablePointer<UInt8>.allocate(capacity: rows.count * intermediateRowBytes)
      defer { intermediate.deallocate() }
      resampleColumns(
        source: source + sourceColumns.lowerBound * channels, sourceRowBytes: sourceRowBytes, firstRow: 0,
        rowBytes: intermediateRowBytes, coefficients: vertical, destination: intermediate)
      resampleRows(
        source: intermediate, sourceCount: rows.count * intermediateRowBytes, rowBytes: intermediateRowBytes,
        firstColumn: sourceColumns.lowerBound, channels: channels, rows: 0..<rows.count,
        coefficients: horizontal, destination: destination)
    case (let horizontal?, let vertical?):
      // Horizontal pass over the input rows the region's output rows read, then vertical.
      let sourceRows = vertical.inputSpan
      let intermediate = UnsafeMutablePointer<UInt8>.allocate(capacity: sourceRows.count * regionRowBytes)
      defer { intermediate.deallocate() }
      resampleRows(
        source: source, sourceCount: sourceCount, rowBytes: sourceRowBytes, firstColumn: 0,
        channels: channels, rows: sourceRows, coefficients: horizontal, destination: intermediate)
      resampleColumns(
        source: intermediate, sourceRowBytes: regionRowBytes, firstRow: sourceRows.lowerBound,
        rowBytes: regionRowBytes, coefficients: vertical, destination: destination)
    }
  }

  // MARK: - Horizontal pass

  /// Resizes rows `rows` of `source` (`sourceCount` bytes, rows `rowBytes` apart, holding input
  /// columns from `firstColumn` on) horizontally; row `r` goes to row `r - rows.lowerBound` of
  /// `destination` (`coefficients.outputs.count × channels` bytes a row).
  ///
  /// Each output pixel is a dot product over its input span of `channels × taps` consecutive bytes,
  /// done 8 bytes at a time against the coefficients repeated per channel (zero past the span).
  static func resampleRows(
    source: UnsafePointer<UInt8>, sourceCount: Int, rowBytes sourceRowBytes: Int, firstColumn: Int,
    channels: Int, rows: Range<Int>, coefficients: ResamplingCoefficients,
    destination: UnsafeMutablePointer<UInt8>
  ) {
    let table = InterleavedCoefficients(coefficients, channels: channels, firstColumn: firstColumn)
    let outputRowBytes = coefficients.outputs.count * channels
    let work = outputRowBytes * coefficients.maximumTaps
    table.values.withUnsafeBufferPointer { values in
      table.chunks.withUnsafeBufferPointer { chunks in
        table.starts.withUnsafeBufferPointer { starts in
          ComputePool.shared.parallelRanges(rows.count, grain: max(1, 1 << 16 / max(1, work))) { range in
            // Loads read up to 7 bytes past a span's end: the last rows go through a padded copy.
            var padded = [UInt8](repeating: 0, count: sourceRowBytes + 8)
            padded.withUnsafeMutableBufferPointer { padded in
              for index in range {
                let row = rows.lowerBound + index
                var input = source + row * sourceRowBytes
                if row * sourceRowBytes + sourceRowBytes + 8 > sourceCount {
                  padded.baseAddress!.update(from: input, count: sourceRowBytes)
                  input = UnsafePointer(padded.baseAddress!)
                }
                let output = destination + index * outputRowBytes
                if channels == 3 {
                  filterRowRGB(input, output, table.stride, values, chunks, starts)
                } else {
                  filterRowGray(input, output, table.stride, values, chunks, starts)
                }
              }
            }
          }
        }
      }
    }
  }

  /// One row of a 3-channel horizontal pass.
  ///
  /// Bytes `8q ..< 8q + 8` of a span go to accumulator `q % 3`: the three accumulators are then 24
  /// lanes whose lane `p` holds channel `p % 3`, which the end of the loop sums per channel.
  @inline(__always)
  private static func filterRowRGB(
    _ input: UnsafePointer<UInt8>, _ output: UnsafeMutablePointer<UInt8>, _ stride: Int,
    _ values: UnsafeBufferPointer<Int32>, _ chunks: UnsafeBufferPointer<Int>,
    _ starts: UnsafeBufferPointer<Int>
  ) {
    let values = values.baseAddress!
    for pixel in 0..<chunks.count {
      let bytes = UnsafeRawPointer(input + starts[pixel])
      let weights = UnsafeRawPointer(values + pixel * stride)
      var first = SIMD8<Int32>(), second = SIMD8<Int32>(), third = SIMD8<Int32>()
      let count = chunks[pixel]
      var chunk = 0
      while chunk + 3 <= count {
        first &+=
          load(bytes, chunk) &* weights.loadUnaligned(fromByteOffset: chunk * 32, as: SIMD8<Int32>.self)
        second &+=
          load(bytes, chunk + 1)
          &* weights.loadUnaligned(fromByteOffset: chunk * 32 + 32, as: SIMD8<Int32>.self)
        third &+=
          load(bytes, chunk + 2)
          &* weights.loadUnaligned(fromByteOffset: chunk * 32 + 64, as: SIMD8<Int32>.self)
        chunk += 3
      }
      if chunk < count {
        first &+=
          load(bytes, chunk) &* weights.loadUnaligned(fromByteOffset: chunk * 32, as: SIMD8<Int32>.self)
      }
      if chunk + 1 < count {
        second &+=
          load(bytes, chunk + 1)
          &* weights.loadUnaligned(fromByteOffset: chunk * 32 + 32, as: SIMD8<Int32>.self)
      }
      // The 24 lanes, channel p % 3 at lane p, fold in halves that keep each lane's channel:
      // 24 → 12 (lane p plus lane p + 12), 12 → 6 (p plus p + 6), 6 → 3.
      let twelveLow = first &+ SIMD8(lowHalf: second.highHalf, highHalf: third.lowHalf)
      let twelveHigh = second.lowHalf &+ third.highHalf
      let six =
        twelveLow
        &+ SIMD8(
          twelveLow[6], twelveLow[7], twelveHigh[0], twelveHigh[1], twelveHigh[2], twelveHigh[3], 0, 0)
      let three = six.lowHalf &+ SIMD4(six[3], six[4], six[5], 0) &+ roundingBias
      let clipped = (three &>> coefficientPrecisionBits).clamped(
        lowerBound: .zero, upperBound: SIMD4(repeating: 255))
      output[3 * pixel] = UInt8(truncatingIfNeeded: clipped[0])
      output[3 * pixel + 1] = UInt8(truncatingIfNeeded: clipped[1])
      output[3 * pixel + 2] = UInt8(truncatingIfNeeded: clipped[2])
    }
  }

  /// One row of a 1-channel horizontal pass.
  @inline(__always)
  private static func filterRowGray(
    _ input: UnsafePointer<UInt8>, _ output: UnsafeMutablePointer<UInt8>, _ stride: Int,
    _ values: UnsafeBufferPointer<Int32>, _ chunks: UnsafeBufferPointer<Int>,
    _ starts: UnsafeBufferPointer<Int>
  ) {
    let values = values.baseAddress!
    for pixel in 0..<chunks.count {
      let bytes = UnsafeRawPointer(input + starts[pixel])
      let weights = UnsafeRawPointer(values + pixel * stride)
      var sum = SIMD8<Int32>()
      for chunk in 0..<chunks[pixel] {
        sum &+= load(bytes, chunk) &* weights.loadUnaligned(fromByteOffset: chunk * 32, as: SIMD8<Int32>.self)
      }
      output[pixel] = clip(sum.wrappedSum() &+ roundingBias)
    }
  }

  // MARK: - Vertical pass

  /// Resizes vertically: output row `i` of `coefficients` is written to row `i` of `destination`
  /// (`rowBytes` a row), from rows `first[i] - firstRow ...` of `source` (`sourceRowBytes` apart).
  ///
  /// Vectorized along the row: 8 bytes of every input row times a broadcast coefficient. A row whose
  /// length is not a multiple of 8 ends with an overlapping chunk, so no load leaves the row.
  static func resampleColumns(
    source: UnsafePointer<UInt8>, sourceRowBytes: Int, firstRow: Int, rowBytes: Int,
    coefficients: ResamplingCoefficients, destination: UnsafeMutablePointer<UInt8>
  ) {
    let taps = coefficients.maximumTaps
    let work = rowBytes * taps
    coefficients.fixedPointWeights.withUnsafeBufferPointer { weights in
      ComputePool.shared.parallelRanges(coefficients.outputs.count, grain: max(1, 1 << 16 / max(1, work))) {
        range in
        for row in range {
          let start = coefficients.first[row] - firstRow
          let count = coefficients.count[row]
          let rowWeights = weights.baseAddress! + row * taps
          let input = source + start * sourceRowBytes
          let output = destination + row * rowBytes
          if rowBytes < 8 {
            for byte in 0..<rowBytes {
              var sum = roundingBias
              for tap in 0..<count { sum &+= Int32(input[tap * sourceRowBytes + byte]) &* rowWeights[tap] }
              output[byte] = clip(sum)
            }
            continue
          }
          var offset = 0
          while true {
            var sum = SIMD8<Int32>(repeating: roundingBias)
            for tap in 0..<count {
              sum &+= load(UnsafeRawPointer(input + tap * sourceRowBytes + offset), 0) &* rowWeights[tap]
            }
            let shifted = (sum &>> coefficientPrecisionBits).clamped(
              lowerBound: .zero, upperBound: SIMD8(repeating: 255))
            UnsafeMutableRawPointer(output + offset).storeBytes(
              of: SIMD8<UInt8>(truncatingIfNeeded: shifted), as: SIMD8<UInt8>.self)
            if offset + 8 == rowBytes { break }
            offset = min(offset + 8, rowBytes - 8)
          }
        }
      }
    }
  }

  // MARK: - Helpers

  /// One half in fixed point: added to every sum so that the final shift rounds to nearest.
  private static let roundingBias = Int32(1) << (coefficientPrecisionBits - 1)

  /// Eight bytes at `base + 8 * chunk`, widened to 32-bit lanes.
  @inline(__always)
  private static func load(_ base: UnsafeRawPointer, _ chunk: Int) -> SIMD8<Int32> {
    SIMD8<Int32>(truncatingIfNeeded: base.loadUnaligned(fromByteOffset: chunk * 8, as: SIMD8<UInt8>.self))
  }

  /// Pillow's clip8: the accumulator (rounding bias included) shifted down to 8 bits and clamped.
  @inline(__always)
  private static func clip(_ sum: Int32) -> UInt8 {
    UInt8(truncatingIfNeeded: min(max(sum &>> coefficientPrecisionBits, 0), 255))
  }
}

/// Horizontal coefficients laid out for the 8-byte dot products: each output's fixed-point weights,
/// each repeated `channels` times, zero-padded to a whole number of 8-lane chunks.
struct InterleavedCoefficients {
  /// The distance between two outputs' weights, in `Int32`s (a multiple of 8).
  let stride: Int
  /// `outputs × stride` weights: output `o`'s byte `j` of its span has weight `values[o * stride + j]`.
  let values: [Int32]
  /// The number of 8-lane chunks of each output.
  let chunks: [Int]
  /// The byte offset in a row of each output's first input byte.
  let starts: [Int]

  /// Lays out `coefficients` for `channels` interleaved channels, for rows that start at input
  /// column `firstColumn`.
  init(_ coefficients: ResamplingCoefficients, channels: Int, firstColumn: Int) {
    let outputs = coefficients.outputs.count
    let stride = (coefficients.maximumTaps * channels + 7) / 8 * 8
    var values = [Int32](repeating: 0, count: outputs * stride)
    var chunks = [Int](repeating: 0, count: outputs)
    var starts = [Int](repeating: 0, count: outputs)
    for output in 0..<outputs {
      let taps = coefficients.count[output]
      for lane in 0..<(taps * channels) {
        values[output * stride + lane] =
          coefficients.fixedPointWeights[output * coefficients.maximumTaps + lane / channels]
      }
      chunks[output] = (taps * channels + 7) / 8
      starts[output] = (coefficients.first[output] - firstColumn) * channels
    }
    self.stride = stride
    self.values = values
    self.chunks = chunks
    self.starts = starts
  }
}
