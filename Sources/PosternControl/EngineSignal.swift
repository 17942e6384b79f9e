import Foundation
import PosternStore

/// Telling the engine to reload, and waiting to hear how it went.
public struct EngineSignal: Sendable {
    public let home: Home

    public init(home: Home) { self.home = home }

    /// The pid of a running posternd serving this home, or nil. The pid file alone is not
    /// trusted: the process must exist and be a posternd (a stale file may name a reused pid).
    public func runningEnginePID() -> Int32? {
        guard let text = try? String(contentsOf: home.pidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0,
            kill(pid, 0) == 0 || errno == EPERM
        else { return nil }
        if let cmdline = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) {
            let argv0 = cmdline.split(separator: 0).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
            guard argv0.hasSuffix("posternd") else { return nil }
        }
        return pid
    }

    public enum Outcome: Sendable, Equatable {
        /// The engine reports the generation applied.
        case applied
        /// The engine kept the previous generation; the reasons it gave.
        case rejected([String])
        case notRunning
        /// No report within the wait.
        case noAnswer
    }

    /// Sends SIGHUP and waits until `status.json` reports `generation` applied or rejected.
    public func reload(expecting generation: Int, timeout: Duration = .seconds(15)) -> Outcome {
        guard let pid = runningEnginePID() else { return .notRunning }
        // An engine that watches current.json has seen the commit already; signalling it too
        // would make it read and compile the configuration twice. An admin account may not
        // be allowed to signal an engine running as another user; the wait is the same.
        let watching = EngineStatus.read(home).map { $0.pid == pid && $0.watchesConfiguration == true } ?? false
        if !watching && kill(pid, SIGHUP) != 0 && errno != EPERM { return .notRunning }
        return wait(for: generation, timeout: timeout)
    }

    /// Polls the status file (it is replaced by rename, so each read is whole).
    public func wait(for generation: Int, timeout: Duration) -> Outcome {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let status = EngineStatus.read(home) {
                if let report = status.lastReload, report.generation >= generation {
                    return report.outcome == .applied ? .applied : .rejected(report.problems)
                }
                if status.generation >= generation { return .applied }
            }
            if runningEnginePID() == nil { return .notRunning }
            usleep(5_000)
        }
        return .noAnswer
    }
}
