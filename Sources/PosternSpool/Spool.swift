import Foundation

/// The durable queue (DESIGN.md: `HOME/queue/`). A message is one file: a format line,
/// the envelope as one line of JSON, then the message bytes. `store` returns only once the
/// file and its name are on disk, so the engine may then say `250`.
///
/// Directory fsyncs are shared: writers that renamed while another writer's directory sync
/// was running wait for the next one, so N concurrent messages cost N file fsyncs but far
/// fewer directory fsyncs (group commit).
public final class Spool: @unchecked Sendable {
    // @unchecked: the only mutable state is the group-commit bookkeeping, guarded by `sync`.
    public let directory: URL
    private let sync = NSCondition()
    /// Renames done so far, and how many of them a finished directory fsync covers.
    private var renamed = 0
    private var synced = 0
    private var syncing = false

    static let formatLine = "POSTERN-SPOOL 1\n"

    public init(directory: URL) {
        self.directory = directory
    }

    public struct Entry: Sendable, Hashable {
        public let id: Int
        public let url: URL
    }

    /// The entry of message `id` (whether or not it exists).
    public func entry(_ id: Int) -> Entry {
        Entry(id: id, url: directory.appendingPathComponent("\(id).msg"))
    }

    /// Writes message `id` durably. `envelope` must be one line of JSON; `prefix` (the
    /// trace header) goes before `body`.
    public func store(id: Int, envelope: Data, prefix: Data, body: UnsafeRawBufferPointer) throws(DurableFile.Failure) -> Entry {
        let url = directory.appendingPathComponent("\(id).msg")
        let temp = directory.appendingPathComponent(".\(id).msg.tmp.\(getpid())").path
        // Group-readable (showqueue runs as an admin account); nothing for others.
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw DurableFile.Failure(path: temp, operation: "open", errno: errno) }
        do throws(DurableFile.Failure) {
            var head = Data(Spool.formatLine.utf8)
            head.append(envelope)
            head.append(0x0a)
            head.append(prefix)
            try DurableFile.writeAll(fd: fd, data: head, path: temp)
            try DurableFile.writeAll(fd: fd, bytes: body, path: temp)
            guard fdatasync(fd) == 0 else { throw DurableFile.Failure(path: temp, operation: "fdatasync", errno: errno) }
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        close(fd)
        guard rename(temp, url.path) == 0 else {
            let e = errno
            unlink(temp)
            throw DurableFile.Failure(path: url.path, operation: "rename", errno: e)
        }
        try syncDirectory()
        return Entry(id: id, url: url)
    }

    /// Makes every rename done before this call durable, sharing the fsync with concurrent callers.
    private func syncDirectory() throws(DurableFile.Failure) {
        sync.lock()
        renamed += 1
        let mine = renamed
        while synced < mine {
            if syncing {
                sync.wait()
                continue
            }
            syncing = true
            let target = renamed
            sync.unlock()
            var failure: DurableFile.Failure?
            do { try DurableFile.syncDirectory(directory.path) } catch { failure = error }
            sync.lock()
            syncing = false
            if failure == nil { synced = max(synced, target) }
            sync.broadcast()
            if let failure {
                sync.unlock()
                throw failure
            }
        }
        sync.unlock()
    }

    /// The messages in the queue, oldest id first.
    public func entries() -> [Entry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return names.compactMap { name -> Entry? in
            guard name.hasSuffix(".msg"), let id = Int(name.dropLast(4)) else { return nil }
            return Entry(id: id, url: directory.appendingPathComponent(name))
        }.sorted { $0.id < $1.id }
    }

    /// A stored message: its envelope JSON and the message bytes (trace header included).
    public func read(_ entry: Entry) throws -> (envelope: Data, message: Data) {
        let data = try Data(contentsOf: entry.url)
        let format = Data(Spool.formatLine.utf8)
        guard data.starts(with: format),
            let newline = data[format.count...].firstIndex(of: 0x0a)
        else { throw SpoolError.damaged(entry.url.path) }
        return (data[format.count..<newline], data[(newline + 1)...])
    }

    public func remove(_ entry: Entry) throws {
        guard unlink(entry.url.path) == 0 else { throw DurableFile.Failure(path: entry.url.path, operation: "unlink", errno: errno) }
        try DurableFile.syncDirectory(directory.path)
    }

    /// After a crash: temp files were never acknowledged, so they go; whole messages stay.
    @discardableResult
    public func recover() -> (messages: Int, discarded: Int) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var discarded = 0
        for name in names where name.hasPrefix(".") && name.contains(".tmp.") {
            if unlink(directory.appendingPathComponent(name).path) == 0 { discarded += 1 }
        }
        return (entries().count, discarded)
    }
}

public enum SpoolError: Error, CustomStringConvertible {
    case damaged(String)

    public var description: String {
        switch self {
        case .damaged(let path): return "\(path) is not a Postern spool file"
        }
    }
}

/// Monotonic identifiers (ICID, MID, DCID) that never repeat across restarts: ceilings are
/// reserved in blocks and written durably before any id of a block is handed out, so a
/// crash skips at most one block and never reuses a number a spool file may carry.
public final class IDAllocator: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    public enum Kind: String, Codable, CaseIterable, Sendable {
        case icid, mid, dcid
    }

    private let file: URL
    private let block: Int
    private let lock = NSLock()
    private var next: [Kind: Int] = [:]
    private var ceiling: [Kind: Int] = [:]

    public init(file: URL, block: Int = 1000) throws {
        self.file = file
        self.block = block
        if let data = try? Data(contentsOf: file),
            let saved = try? JSONDecoder().decode([String: Int].self, from: data)
        {
            for kind in Kind.allCases { next[kind] = saved[kind.rawValue] ?? 1 }
        } else {
            for kind in Kind.allCases { next[kind] = 1 }
        }
        ceiling = next
    }

    public func allocate(_ kind: Kind) -> Int {
        lock.lock()
        defer { lock.unlock() }
        let id = next[kind]!
        if id >= ceiling[kind]! {
            var reserved = ceiling
            reserved[kind] = id + block
            let json = Dictionary(uniqueKeysWithValues: reserved.map { ($0.key.rawValue, $0.value) })
            if let data = try? JSONEncoder().encode(json) {
                // If this write fails the ids still increase in memory; only a crash before
                // the next successful write could repeat them.
                try? DurableFile.write(data, to: file)
            }
            ceiling = reserved
        }
        next[kind] = id + 1
        return id
    }
}

/// Where each recipient of a queued message stands (`queue/<MID>.state`). Written durably
/// after every delivery attempt; a crash in the middle of an attempt re-delivers what the
/// state does not yet say was delivered (at least once, like every MTA).
public struct DeliveryState: Codable, Hashable, Sendable {
    public enum Status: String, Codable, Sendable {
        case pending, delivered, bounced, deleted
    }

    public struct Recipient: Codable, Hashable, Sendable {
        public var address: String
        public var status: Status
        /// The last answer or reason, for showqueue and the bounce.
        public var detail: String?
        /// RFC 3463 status of a bounce (`5.1.1`).
        public var enhanced: String?
        public var remote: String?

        public init(address: String, status: Status = .pending, detail: String? = nil, enhanced: String? = nil,
                    remote: String? = nil) {
            self.address = address
            self.status = status
            self.detail = detail
            self.enhanced = enhanced
            self.remote = remote
        }
    }

    public var attempts: Int
    public var nextAttempt: Date
    /// Indexed by RID.
    public var recipients: [Recipient]
    /// Set once the bounce for the failed recipients has been queued.
    public var bounceQueued: Bool

    public init(recipients: [String], now: Date) {
        attempts = 0
        nextAttempt = now
        self.recipients = recipients.map { Recipient(address: $0) }
        bounceQueued = false
    }

    public var pending: [Int] { recipients.indices.filter { recipients[$0].status == .pending } }
}

extension Spool {
    func stateURL(_ id: Int) -> URL { directory.appendingPathComponent("\(id).state") }

    public func state(of id: Int) -> DeliveryState? {
        guard let data = try? Data(contentsOf: stateURL(id)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(DeliveryState.self, from: data)
    }

    public func save(_ state: DeliveryState, of id: Int) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        try DurableFile.write(try encoder.encode(state), to: stateURL(id), mode: 0o640)
    }

    /// Removes a message that is done: its state first, so a crash in between leaves a message
    /// that is delivered again rather than a state without its message.
    public func finish(_ id: Int) throws {
        unlink(stateURL(id).path)
        guard unlink(directory.appendingPathComponent("\(id).msg").path) == 0 || errno == ENOENT else {
            throw DurableFile.Failure(path: "\(id).msg", operation: "unlink", errno: errno)
        }
        try DurableFile.syncDirectory(directory.path)
    }
}
