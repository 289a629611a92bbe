extension ConvolutionBackward {
  /// The sizes of one convolution and the patch (im2col) layout its gradients use.
  struct Shape {
    let batch: Int
    let inputChannels: Int
    let outputChannels: Int
    let groups: Int
    let geometry: ConvolutionGeometry
    /// Cin / groups.
    let inputPerGroup: Int
    /// Cout / groups.
    let outputPerGroup: Int
    /// `Cin/groups · KH · KW`: the length of one patch row, index `(i · KH + ky) · KW + kx`.
    let patchLength: Int
    /// ``patchLength`` rounded up to a multiple of 8 (the padding columns hold zeros).
    let paddedPatchLength: Int

    init(batch: Int, inputChannels: Int, outputChannels: Int, groups: Int, geometry: ConvolutionGeometry) {
      precondition(batch >= 1 && groups >= 1, "batch and groups must be at least 1")
      precondition(
        outputChannels % groups == 0 && inputChannels % groups == 0 && outputChannels >= groups
          && inputChannels >= groups,
        "groups \(groups) must divide Cin \(inputChannels) and Cout \(outputChannels)")
      self.batch = batch
      self.inputChannels = inputChannels
      self.outputChannels = outputChannels
      self.groups = groups
      self.geometry = geometry
      inputPerGroup = inputChannels / groups
      outputPerGroup = outputChannels / groups
      patchLength = inputPerGroup * geometry.kernelHeight * geometry.kernelWidth
      paddedPatchLength = (patchLength + 7) / 8 * 8
    }

    /// `N · OH · OW`.
    var outputPixels: Int { batch * geometry.outputHeight * geometry.outputWidth }
    /// The floats of `X`: `N · H · W · Cin`.
    var inputCount: Int { batch * geometry.inputHeight * geometry.inputWidth * inputChannels }
    /// The floats of `Y`: `N · OH · OW · Cout`.
    var outputCount: Int { outputPixels * outputChannels }
    /// The floats of `W`: `Cout · Cin/groups · KH · KW`.
    var weightCount: Int { outputChannels * patchLength }

    /// Calls `body(ky, kx, inputPixel)` for the taps of output pixel `row` (`(n, oy, ox)` flattened)
    /// that land inside the input, with `inputPixel` the flattened `(n, iy, ix)`.
    @inline(__always)
    func forEachTap(ofRow row: Int, _ body: (Int, Int, Int) -> Void) {
      let g = geometry
      let imagePixels = g.outputHeight * g.outputWidth
      let image = row / imagePixels
      let outputRow = row % imagePixels / g.outputWidth
      let outputColumn = row % g.outputWidth
      for ky in 0..<g.kernelHeight {
        let inputRow = outputRow * g.strideHeight - g.padTop + ky
        guard inputRow >= 0, inputRow < g.inputHeight else { continue }
        for kx in 0..<g.kernelWidth {
          let inputColumn = outputColumn * g.strideWidth - g.padLeft + kx
          guard inputColumn >= 0, inputColumn < g.inputWidth else { continue }
          body(ky, kx, (image * g.inputHeight + inputRow) * g.inputWidth + inputColumn)
        }
      }
    }

    /// Writes the patch rows of `rows` for channel group `group` into `patches`
    /// (`[rows.count, paddedPatchLength]`, zeros for taps outside the input and for the padding).
    func buildPatches(
      input: UnsafePointer<Float>, group: Int, rows: Range<Int>, into patches: UnsafeMutablePointer<Float>
    ) {
      let taps = geometry.kernelHeight * geometry.kernelWidth
      let kernelWidth = geometry.kernelWidth
      for (index, row) in rows.enumerated() {
        let destination = patches + index * paddedPatchLength
        destination.update(repeating: 0, count: paddedPatchLength)
        forEachTap(ofRow: row) { ky, kx, pixel in
          let source = input + pixel * inputChannels + group * inputPerGroup
          let tap = ky * kernelWidth + kx
          for channel in 0..<inputPerGroup { destination[channel * taps + tap] = source[channel] }
        }
      }
    }

    /// Adds the patch gradients of `rows` for channel group `group` (`[rows.count, patchLength]`)
    /// into the input gradient at the positions they were read from.
    func scatterPatches(
      _ patches: UnsafePointer<Float>, group: Int, rows: Range<Int>,
      into inputGradient: UnsafeMutablePointer<Float>
    ) {
      let taps = geometry.kernelHeight * geometry.kernelWidth
      let kernelWidth = geometry.kernelWidth
      for (index, row) in rows.enumerated() {
        let source = patches + index * patchLength
        forEachTap(ofRow: row) { ky, kx, pixel in
          let destination = inputGradient + pixel * inputChannels + group * inputPerGroup
          let tap = ky * kernelWidth + kx
          for channel in 0..<inputPerGroup { destination[channel] += source[channel * taps + tap] }
        }
      }
    }
  }
}
