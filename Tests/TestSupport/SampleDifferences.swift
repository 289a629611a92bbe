/// The largest absolute difference between two arrays of integer samples; `Int.max` when their lengths
/// differ, so that any tolerance assert on it fails.
public func maximumDifference<Left: BinaryInteger, Right: BinaryInteger>(_ left: [Left], _ right: [Right])
  -> Int
{
  guard left.count == right.count else { return Int.max }
  return zip(left, right).reduce(0) { max($0, abs(Int($1.0) - Int($1.1))) }
}
