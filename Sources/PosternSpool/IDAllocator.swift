import Foundation
import PosternConfig

/// Monotonic identifiers (ICID, MID, DCID) that never repeat across restarts.
///
/// `ids.json` holds, per kind, a ceiling: every id below it may have been handed out. An id
/// is handed out only below a ceiling that is already durable, so a crash at any instant
/// skips at most what was reserved and never reuses a number. Reservations are made ahead of
/// need (when half a block is left) on a queue of their own: `allocate` does no I/O and holds
/// its lock only to count, so the event loops never wait on an fsync. When a reservation
/// cannot be made durable (a full or read-only disk) and the reserved ids run out, `allocate`
/// returns nil and the caller refuses the work with a temporary error, instead of reusing ids;
/// the next allocation retries the reservation, so it recovers when the disk does.
public final class IDAllocator: @unchecked Sendable {
    // @unchecked: `next`, `ceiling`, `reserving` and `problem` are guarded by `lock`, which
    // is never held across I/O; the file is written on `reserver` only.
    public enum Kind: String, Codable, CaseIterable, Sendable {
        case icid, mid, dcid
    }

    private let file: URL
    private let block: Int
    private let files: any FileOperations
    private let lock = NSLock()
    private let reserver = DispatchQueue(label: "posternd.ids")
    private var next: [Kind: Int] = [:]
    private var ceiling: [Kind: Int] = [:]
    private var reserving = false
    private var problem: String?
    /// What the allocator had to do at start because `ids.json` was missing or unreadable (for the log).
    public let startNote: String?

    /// `floors` are the lowest ids a kind may take: the engine passes one above the highest
    /// MID recovered from the spool, so even without `ids.json` no queued MID is reused.
    /// The first reservation is made before this returns (at start, not on an event loop).
    public init(file: URL, block: Int = 1000, floors: [Kind: Int] = [:], files: any FileOperations = SystemFiles()) {
        self.file = file
        self.block = max(2, block)
        self.files = files
        var saved: [String: Int] = [:]
        var note: String?
        if !FileManager.default.fileExists(atPath: file.path) {
            note = floors.isEmpty ? nil : "\(file.lastPathComponent) is missing; ids start above the queue's highest"
        } else {
            do {
                saved = try JSONCoding.decoder.decode([String: Int].self, from: Data(contentsOf: file))
            } catch {
                note = "\(file.lastPathComponent) cannot be read (\(error)); ids start above the queue's highest"
            }
        }
        startNote = note
        for kind in Kind.allCases {
            next[kind] = max(saved[kind.rawValue] ?? 1, floors[kind] ?? 1, 1)
        }
        ceiling = next
        reserving = true
        reserve()
    }

    /// The next id of `kind`, or nil when no durably reserved id is left (the disk refused the
    /// reservation): refuse the work with a temporary error and try again later.
    public func allocate(_ kind: Kind) -> Int? {
        let (id, reserveAhead): (Int?, Bool) = lock.withLock {
            let id = next[kind]!
            let low = ceiling[kind]! - id <= block / 2
            let start = low && !reserving
            if start { reserving = true }
            guard id < ceiling[kind]! else { return (nil, start) }
            next[kind] = id + 1
            return (id, start)
        }
        if reserveAhead { reserver.async { self.reserve() } }
        return id
    }

    /// Why the last reservation failed, while it has not succeeded since.
    public var reservationProblem: String? { lock.withLock { problem } }

    /// Waits for a reservation in progress (tests, and a clean stop).
    public func waitForReservations() {
        reserver.sync {}
    }

    /// Raises every ceiling that is within half a block of its next id by a block, durably.
    private func reserve() {
        let target: [Kind: Int] = lock.withLock {
            var target = ceiling
            for kind in Kind.allCases where ceiling[kind]! - next[kind]! <= block / 2 {
                target[kind] = max(ceiling[kind]!, next[kind]!) + block
            }
            return target
        }
        let json = Dictionary(uniqueKeysWithValues: target.map { ($0.key.rawValue, $0.value) })
        do throws(DurableFile.Failure) {
            let data = (try? JSONCoding.compact.encode(json)) ?? Data()
            try DurableFile.write(data, to: file, mode: 0o640, files: files)
            lock.withLock {
                for (kind, value) in target { ceiling[kind] = max(ceiling[kind]!, value) }
                problem = nil
                reserving = false
            }
        } catch {
            lock.withLock {
                problem = error.description
                reserving = false
            }
        }
    }
}
