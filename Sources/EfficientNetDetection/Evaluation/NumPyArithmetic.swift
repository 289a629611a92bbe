/// The few NumPy computations COCO evaluation depends on, reproduced to the last bit.
enum NumPyArithmetic {
  /// `np.spacing(1)`: the distance from 1 to the next double (2⁻⁵²).
  static let spacingOfOne = Double.ulpOfOne

  /// `np.linspace(start, stop, count)`: `index * step + start` with `step = (stop - start) / (count - 1)`,
  /// the last value `stop` itself.
  static func linearlySpaced(from start: Double, to stop: Double, count: Int) -> [Double] {
    guard count > 1 else { return count == 1 ? [start] : [] }
    let step = (stop - start) / Double(count - 1)
    var values = (0..<count).map { Double($0) * step + start }
    values[count - 1] = stop
    return values
  }

  /// `np.sum` of a contiguous double array: NumPy's pairwise summation (eight running sums within
  /// blocks of up to 128 values, blocks split in halves that are multiples of eight).
  static func pairwiseSum(_ values: ArraySlice<Double>) -> Double {
    let count = values.count
    let start = values.startIndex
    if count < 8 {
      var sum = 0.0
      for value in values { sum += value }
      return sum
    }
    if count <= 128 {
      var sums = Array(values[start..<(start + 8)])
      var index = 8
      while index < count - count % 8 {
        for lane in 0..<8 { sums[lane] += values[start + index + lane] }
        index += 8
      }
      var sum = ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]))
      while index < count {
        sum += values[start + index]
        index += 1
      }
      return sum
    }
    var half = count / 2
    half -= half % 8
    return pairwiseSum(values[start..<(start + half)]) + pairwiseSum(values[(start + half)...])
  }

  /// `np.mean(values[values > -1])`, or -1 when no value is above -1 (pycocotools' summary mean).
  static func meanOfPresent(_ values: [Double]) -> Double {
    let present = values.filter { $0 > -1 }
    return present.isEmpty ? -1 : pairwiseSum(present[...]) / Double(present.count)
  }
}
