import Foundation
import PosternSpool

/// Real file operations with two things added for tests (style.md §18):
/// - faults: the next calls of a step (optionally only on paths containing a string) fail
///   with a chosen errno;
/// - a power-loss model: it remembers how much of each file was last synced and which names
///   were created since their directory was last synced, and `crash()` puts the disk back to
///   that (unsynced bytes and unsynced names are gone, as after a power cut; a SIGKILL keeps
///   the page cache and so cannot tell whether a sync was made).
///   XXX: a rename not yet made durable loses its new name on `crash()`; a real disk could
///   also bring back the old file under it. The spool never renames over a name.
public final class FaultyFiles: FileOperations, @unchecked Sendable {
    // @unchecked: every property is guarded by `lock`.
    private struct Fault {
        let step: FileStep
        let errno: Int32
        let matching: String?
        var remaining: Int
    }

    private let lock = NSLock()
    private let real = SystemFiles()
    private var faults: [Fault] = []
    private var paths: [Int32: String] = [:]
    private var syncedLength: [String: off_t] = [:]
    private var written: Set<String> = []
    private var unsyncedNames: Set<String> = []
    private var crashed = false
    /// Every call made, in order (the step and the path).
    public private(set) var calls: [(FileStep, String)] = []

    public init() {}

    /// The next `times` calls of `step` (on a path containing `matching`, if given) fail with `errno`.
    public func fail(_ step: FileStep, errno: Int32, times: Int = 1, matching: String? = nil) {
        lock.withLock { faults.append(Fault(step: step, errno: errno, matching: matching, remaining: times)) }
    }

    /// Descriptors opened through this and not closed.
    public var openDescriptors: Int { lock.withLock { paths.count } }

    /// How many times `step` was called.
    public func count(_ step: FileStep) -> Int { lock.withLock { calls.filter { $0.0 == step }.count } }

    /// Power loss: every file written through this is cut back to what was synced, every name
    /// created since its directory was synced disappears, and every later call fails with EIO
    /// (the process that was writing is dead).
    public func crash() {
        lock.withLock {
            crashed = true
            for path in unsyncedNames { unlink(path) }
            for path in written where !unsyncedNames.contains(path) {
                var info = stat()
                let synced = syncedLength[path] ?? 0
                if stat(path, &info) == 0, info.st_size > synced { Foundation.truncate(path, synced) }
            }
        }
    }

    private func check(_ step: FileStep, _ path: String) throws(DurableFile.Failure) {
        let injected: Int32? = lock.withLock {
            calls.append((step, path))
            if crashed { return EIO }
            guard let i = faults.firstIndex(where: {
                $0.step == step && $0.remaining > 0 && ($0.matching.map { path.contains($0) } ?? true)
            }) else { return nil }
            faults[i].remaining -= 1
            return faults[i].errno
        }
        if let injected { throw DurableFile.Failure(path: path, operation: "\(step.rawValue) (injected)", errno: injected) }
    }

    public func open(_ path: String, flags: Int32, mode: mode_t) throws(DurableFile.Failure) -> Int32 {
        try check(.open, path)
        let existed = access(path, F_OK) == 0
        let fd = try real.open(path, flags: flags, mode: mode)
        lock.withLock {
            paths[fd] = path
            if !existed { unsyncedNames.insert(path) }
        }
        return fd
    }

    public func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(DurableFile.Failure) {
        try check(.write, path)
        try real.write(fd, bytes, path: path)
        _ = lock.withLock { written.insert(path) }
    }

    public func sync(_ fd: Int32, path: String, dataOnly: Bool) throws(DurableFile.Failure) {
        try check(.sync, path)
        try real.sync(fd, path: path, dataOnly: dataOnly)
        var info = stat()
        fstat(fd, &info)
        lock.withLock { syncedLength[path] = info.st_size }
    }

    public func rename(_ from: String, to: String) throws(DurableFile.Failure) {
        try check(.rename, to)
        try real.rename(from, to: to)
        lock.withLock {
            syncedLength[to] = syncedLength.removeValue(forKey: from)
            if written.remove(from) != nil { written.insert(to) }
            unsyncedNames.remove(from)
            unsyncedNames.insert(to)
        }
    }

    public func truncate(_ fd: Int32, to length: UInt64, path: String) throws(DurableFile.Failure) {
        try check(.truncate, path)
        try real.truncate(fd, to: length, path: path)
    }

    public func syncDirectory(_ path: String) throws(DurableFile.Failure) {
        try check(.directorySync, path)
        try real.syncDirectory(path)
        let prefix = path.hasSuffix("/") ? path : path + "/"
        lock.withLock {
            unsyncedNames = unsyncedNames.filter {
                !($0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/"))
            }
        }
    }

    public func close(_ fd: Int32) {
        lock.withLock { _ = paths.removeValue(forKey: fd) }
        real.close(fd)
    }
}
