import XCTest

/// Asserts that `body` throws an error of type `Failure` and returns it; fails (and returns nil) when it
/// returns normally or throws something else. `describe` names what it returned in the failure message.
@discardableResult
public func assertThrows<Failure: Error, Result>(
  _ type: Failure.Type, _ body: () throws -> Result, describe: (Result) -> String = { "\($0)" },
  file: StaticString = #filePath, line: UInt = #line
) -> Failure? {
  do {
    let result = try body()
    XCTFail("expected a \(Failure.self), but got \(describe(result))", file: file, line: line)
    return nil
  } catch let error as Failure {
    return error
  } catch {
    XCTFail("expected a \(Failure.self), got \(error)", file: file, line: line)
    return nil
  }
}
