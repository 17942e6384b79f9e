import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// When the mail log's lines go to the file. An event loop that logs a few lines in a window
/// writes each at once, before the reply it goes with is sent (what an administrator or a
/// test reading the log expects). A busy one (more than `busyLines` in `window`) holds its
/// lines back and writes all it has in one `write(2)` at the end of the window: under load
/// a TLS connection's three lines cost three writes to the file otherwise, the larger part
/// of the system time a connection costs beyond the TLS itself (Docs/benchmarks.md). Lines
/// from one loop stay in order; lines written elsewhere (another thread, an embedded loop in
/// a test) go at once. A line waits at most `window`; `flush()` writes what waits (the
/// engine calls it once its event loops have stopped).
final class MailLogBatcher: Sendable {
    /// The lines one event loop holds back.
    private final class Pending: @unchecked Sendable {
        let lock = NIOLock()
        var bytes: [UInt8] = []
        var windowStart = NIODeadline.uptimeNanoseconds(0)
        var linesInWindow = 0
        var flushScheduled = false
    }

    static let window = TimeAmount.milliseconds(10)
    /// Lines per window on one loop up to which each line is written at once.
    static let busyLines = 8
    /// Held bytes past which they are written without waiting for the window's end.
    static let limit = 64 * 1024

    private let write: @Sendable ([UInt8]) -> Void
    private let perThread = ThreadSpecificVariable<Pending>()
    private let all = NIOLockedValueBox<[Pending]>([])

    init(write: @escaping @Sendable ([UInt8]) -> Void) {
        self.write = write
    }

    /// `bytes`, holding `lines` whole lines, to the file now or at the window's end.
    func emit(_ bytes: [UInt8], lines: Int) {
        guard let loop = MultiThreadedEventLoopGroup.currentEventLoop else { return write(bytes) }
        let pending = pendingForThisThread()
        let now = NIODeadline.now()
        var immediate: [UInt8]?
        var schedule = false
        pending.lock.withLock {
            if now - pending.windowStart >= MailLogBatcher.window {
                pending.windowStart = now
                pending.linesInWindow = 0
            }
            pending.linesInWindow += lines
            if pending.bytes.isEmpty && pending.linesInWindow <= MailLogBatcher.busyLines {
                immediate = bytes
                return
            }
            pending.bytes += bytes
            if pending.bytes.count >= MailLogBatcher.limit {
                immediate = pending.bytes
                pending.bytes = []
            } else if !pending.flushScheduled {
                pending.flushScheduled = true
                schedule = true
            }
        }
        if let immediate { write(immediate) }
        if schedule {
            loop.scheduleTask(in: MailLogBatcher.window) { [self] in self.flush(pending) }
        }
    }

    /// Writes every line held back, on every loop.
    func flush() {
        for pending in all.withLockedValue({ $0 }) { flush(pending) }
    }

    private func flush(_ pending: Pending) {
        let bytes = pending.lock.withLock {
            pending.flushScheduled = false
            defer { pending.bytes = [] }
            return pending.bytes
        }
        if !bytes.isEmpty { write(bytes) }
    }

    private func pendingForThisThread() -> Pending {
        if let pending = perThread.currentValue { return pending }
        let pending = Pending()
        perThread.currentValue = pending
        all.withLockedValue { $0.append(pending) }
        return pending
    }
}
