import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// One HTTP GET streamed into the end of a partial file (never held in memory), through a
/// `URLSession` delegate, waited for synchronously.
final class DownloadAttempt: NSObject, URLSessionDataDelegate, @unchecked Sendable {
  private let url: URL
  private let file: URL
  private let policy: DownloadPolicy
  private let progress: Downloader.Progress?
  private let handle: FileHandle
  private var offset: Int64
  private var expectedTotal: Int64?
  private var outcome: AttemptOutcome?
  private let finished = DispatchSemaphore(value: 0)

  /// Opens (or creates) `file` for appending.
  init(url: URL, file: URL, policy: DownloadPolicy, progress: Downloader.Progress?) throws {
    self.url = url
    self.file = file
    self.policy = policy
    self.progress = progress
    if !FileManager.default.fileExists(atPath: file.path) {
      guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
        throw HubError.cacheUnwritable(path: file.path, reason: "cannot create the file")
      }
    }
    do {
      handle = try FileHandle(forWritingTo: file)
      offset = Int64(try handle.seekToEnd())
    } catch {
      throw HubError.cacheUnwritable(path: file.path, reason: (error as NSError).localizedDescription)
    }
  }

  deinit { try? handle.close() }

  /// Runs the request to its end.
  func run() -> AttemptOutcome {
    if offset > policy.maximumBytes { restart() }
    var request = URLRequest(
      url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: policy.idleTimeout)
    if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForRequest = policy.idleTimeout
    configuration.timeoutIntervalForResource = policy.attemptTimeout
    let queue = OperationQueue()
    queue.maxConcurrentOperationCount = 1
    let session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
    session.dataTask(with: request).resume()
    finished.wait()
    session.invalidateAndCancel()
    return outcome ?? .retryable("the transfer ended without an answer")
  }

  func urlSession(
    _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
  ) {
    guard let http = response as? HTTPURLResponse else {
      outcome = .failed(.transferFailed(url: url.absoluteString, reason: "not an HTTP answer", attempts: 1))
      return completionHandler(.cancel)
    }
    let length = response.expectedContentLength >= 0 ? response.expectedContentLength : nil
    switch http.statusCode {
    case 206:
      let range = (http.value(forHTTPHeaderField: "Content-Range")).flatMap(Self.parseContentRange)
      guard let range, range.start == offset else {
        restart()
        outcome = .retryable("the server resumed at another byte than asked; starting over")
        return completionHandler(.cancel)
      }
      expectedTotal = range.total ?? length.map { offset + $0 }
    case 200:
      if offset > 0 { restart() }
      expectedTotal = length
    case 416:
      restart()
      outcome = .retryable("the server refused to resume the partial file; starting over")
      return completionHandler(.cancel)
    case 408, 429, 500...599:
      outcome = .retryable("the server answered HTTP \(http.statusCode)")
      return completionHandler(.cancel)
    default:
      outcome = .failed(.httpStatus(url: url.absoluteString, status: http.statusCode))
      return completionHandler(.cancel)
    }
    if let expectedTotal, expectedTotal > policy.maximumBytes {
      outcome = .failed(.tooLarge(url: url.absoluteString, limit: policy.maximumBytes))
      return completionHandler(.cancel)
    }
    completionHandler(.allow)
  }

  func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
    guard outcome == nil else { return }
    guard offset + Int64(data.count) <= policy.maximumBytes else {
      outcome = .failed(.tooLarge(url: url.absoluteString, limit: policy.maximumBytes))
      return dataTask.cancel()
    }
    do {
      try handle.write(contentsOf: data)
    } catch {
      outcome = .failed(.cacheUnwritable(path: file.path, reason: (error as NSError).localizedDescription))
      return dataTask.cancel()
    }
    offset += Int64(data.count)
    progress?(offset, expectedTotal)
  }

  func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
    if outcome == nil {
      if let error {
        outcome = .retryable((error as NSError).localizedDescription)
      } else if let expectedTotal, offset != expectedTotal {
        outcome = .retryable("the transfer stopped at \(offset) of \(expectedTotal) bytes")
      } else {
        outcome = .complete
      }
    }
    finished.signal()
  }

  /// Empties the partial file (the server will send the whole file).
  private func restart() {
    try? handle.truncate(atOffset: 0)
    offset = 0
  }

  /// `bytes START-END/TOTAL` (TOTAL may be `*`).
  static func parseContentRange(_ text: String) -> (start: Int64, total: Int64?)? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard trimmed.lowercased().hasPrefix("bytes ") else { return nil }
    let parts = trimmed.dropFirst(6).split(separator: "/")
    guard parts.count == 2, let dash = parts[0].firstIndex(of: "-"),
      let start = Int64(parts[0][..<dash].trimmingCharacters(in: .whitespaces))
    else { return nil }
    return (start, Int64(parts[1].trimmingCharacters(in: .whitespaces)))
  }
}
