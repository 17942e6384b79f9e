import Foundation
import PosternConfig

/// The durable queue (DESIGN.md: `HOME/queue/`), as append-only segment files with group
/// commit.
///
/// A message is one record in the active segment (`queue/segments/<n>.seg`): a 32-byte
/// header (magic, kind, MID, lengths, CRC-32), the envelope as one line of JSON, then the
/// message bytes. One writer thread takes every record queued since its last write, writes
/// them with one `write`, makes them durable with one `fdatasync`, and only then calls each
/// message's completion, so the engine says `250` for a message only once it is on disk,
/// and N concurrent messages cost one sync, not N file creations and N syncs (the per-file
/// queue spent a quarter of the engine's CPU allocating inodes, Docs/benchmarks.md).
///
/// A finished message gets a tombstone record; a segment is deleted once none of its
/// messages is live and every older segment is gone (so no tombstone outlives what it
/// buries). Recovery scans the segments in order, drops a torn tail (never acknowledged) and
/// quarantines what follows damage, never resynchronising inside message bytes (`scan`).
public final class Spool: @unchecked Sendable {
    // @unchecked: index, live counts, the pending queue and the active segment are guarded
    // by `lock`; file writes happen only on the writer thread.
    public let directory: URL
    public let segmentsDirectory: URL
    private let lock = NSCondition()
    private var index: [Int: Location] = [:]
    private var live: [Int: Int] = [:]
    private var pending: [PendingRecord] = []
    private var active = 0
    /// The segment files on disk, oldest first (the active one once it is created).
    private var segments: [Int] = []
    private var activeSize: UInt64 = 0
    private var activeFD: Int32 = -1
    private var writer: Thread?
    private var stopped = false
    private var writerDone = false
    private var isOwner = false

    /// A segment is closed and a new one begun past this size.
    public let segmentLimit: UInt64

    public struct Entry: Sendable, Hashable {
        public let id: Int
        public let location: Location
    }

    /// Where a message record is.
    public struct Location: Sendable, Hashable {
        public let segment: Int
        public let offset: UInt64
        public let envelopeLength: Int
        public let messageLength: Int
    }

    private struct PendingRecord {
        let mid: Int
        let bytes: [UInt8]
        let envelopeLength: Int
        let messageLength: Int
        let completion: (@Sendable (Result<Entry, DurableFile.Failure>) -> Void)?
    }

    private var segmentsPath: String { segmentsDirectory.path }

    /// Every file operation of the writer goes through this (tests fail them, `FaultyFiles`).
    let files: any FileOperations

    public init(directory: URL, segmentLimit: UInt64 = 64 * 1024 * 1024, files: any FileOperations = SystemFiles()) {
        self.directory = directory
        self.files = files
        segmentsDirectory = directory.appendingPathComponent("segments", isDirectory: true)
        self.segmentLimit = segmentLimit
    }

    deinit {
        if activeFD >= 0 { files.close(activeFD) }
    }

    // MARK: Owning the queue (the engine)

    /// What recovery found.
    public struct Recovery: Sendable {
        /// Messages queued.
        public let messages: Int
        /// Bytes of torn tail dropped (never acknowledged).
        public let discarded: Int
        /// Bytes after damage on disk, moved to `queue/quarantine/` (see `scan`), and the files holding them.
        public let quarantined: Int
        public let quarantineFiles: [String]
        /// The highest MID any record carries (0 when none): new MIDs start above it.
        public let highestMID: Int
    }

    /// Recovers the queue and starts the writer: only the engine does this.
    @discardableResult
    public func open() throws -> Recovery {
        try SharedDirectory.create(segmentsDirectory)
        let scan = Spool.scan(segmentsDirectory, repair: true)
        // A segment that cannot be read may hold accepted mail: nothing may be assumed of it,
        // least of all that it is empty and can go (as Postfix leaves a queue file it cannot
        // open). The engine does not start until it can read them.
        guard scan.unreadable.isEmpty else { throw SpoolError.unreadable(scan.unreadable) }
        lock.lock()
        index = scan.index
        live = scan.live
        segments = scan.segments
        active = (scan.segments.last ?? 0) + 1  // a fresh segment; older ones are never written again
        isOwner = true
        lock.unlock()
        removeDeadSegments()
        let thread = Thread { [weak self] in self?.writeLoop() }
        thread.name = "posternd.spool"
        thread.start()
        writer = thread
        return Recovery(messages: scan.index.count, discarded: scan.discarded, quarantined: scan.quarantined,
                        quarantineFiles: scan.quarantineFiles, highestMID: scan.highestMID)
    }

    /// Stops the writer once what is queued is written, and waits for it.
    public func stop() {
        lock.lock()
        stopped = true
        lock.broadcast()
        while writer != nil && !writerDone { lock.wait() }
        lock.unlock()
    }

    // MARK: Writing

    /// Queues message `id` for the next group commit; `completion` runs on the writer thread
    /// once the record is durable (or could not be written).
    public func store(
        id: Int, envelope: Data, prefix: Data, body: UnsafeRawBufferPointer,
        completion: @escaping @Sendable (Result<Entry, DurableFile.Failure>) -> Void
    ) {
        let envelopeLength = envelope.count + 1
        let messageLength = prefix.count + body.count
        let record = Spool.record(kind: .message, mid: id, envelopeLength: envelopeLength,
                                  capacity: envelopeLength + messageLength) { out in
            out += envelope
            out.append(0x0a)
            out += prefix
            out += body
        }
        enqueue(PendingRecord(mid: id, bytes: record, envelopeLength: envelopeLength, messageLength: messageLength,
                              completion: completion))
    }

    /// The blocking form: returns once the message is durable.
    public func store(id: Int, envelope: Data, prefix: Data, body: UnsafeRawBufferPointer) throws(DurableFile.Failure)
        -> Entry
    {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        store(id: id, envelope: envelope, prefix: prefix, body: body) { result in
            box.result = result
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }

    private final class ResultBox: @unchecked Sendable {
        // @unchecked: written once by the writer before the semaphore is signalled.
        var result: Result<Entry, DurableFile.Failure>?
    }

    private func enqueue(_ record: PendingRecord) {
        lock.lock()
        precondition(isOwner, "Spool.store: only the process that opened the spool writes to it")
        if stopped {
            // The writer is gone or going: answer now rather than never.
            lock.unlock()
            record.completion?(.failure(DurableFile.Failure(path: segmentsPath, operation: "store after stop",
                                                            errno: ESHUTDOWN)))
            return
        }
        pending.append(record)
        lock.signal()
        lock.unlock()
    }

    private func writeLoop() {
        while true {
            lock.lock()
            while pending.isEmpty && !stopped { lock.wait() }
            if pending.isEmpty && stopped {
                writerDone = true
                lock.broadcast()
                lock.unlock()
                return
            }
            let batch = pending
            pending = []
            lock.unlock()
            write(batch)
        }
    }

    /// Writes a batch as one group commit and answers every record in it: each completion
    /// runs exactly once, with the failure when any step (opening the segment, syncing its
    /// directory, the write, the sync) failed, so no session ever waits on a broken disk.
    private func write(_ batch: [PendingRecord]) {
        let outcome: Result<[Location], DurableFile.Failure>
        do throws(DurableFile.Failure) {
            outcome = .success(try append(batch))
        } catch {
            outcome = .failure(error)
            // The batch was refused, so it must not come back at a restart (the sender retries
            // it: that would be a duplicate). Take it back; if even that fails, recovery finds
            // a record whose sync failed, delivered at most once more, never lost. Either way
            // nothing is appended after it: the next batch opens a fresh segment, so the spool
            // recovers as soon as the disk does.
            if activeFD >= 0 {
                try? files.truncate(activeFD, to: activeSize, path: segmentPath(active))
                files.close(activeFD)
            }
            activeFD = -1
            lock.lock()
            active += 1
            lock.unlock()
        }
        if case .success(let locations) = outcome {
            lock.lock()
            for (record, location) in zip(batch, locations) where record.completion != nil {
                index[record.mid] = location
                live[location.segment, default: 0] += 1
            }
            lock.unlock()
        }
        for (i, record) in batch.enumerated() {
            guard let completion = record.completion else { continue }
            switch outcome {
            case .success(let locations): completion(.success(Entry(id: record.mid, location: locations[i])))
            case .failure(let failure): completion(.failure(failure))
            }
        }
        if case .success = outcome, activeSize >= segmentLimit { rotate() }
    }

    /// Appends the batch to the active segment and makes it durable; returns where each record is.
    private func append(_ batch: [PendingRecord]) throws(DurableFile.Failure) -> [Location] {
        if activeFD < 0 { try openActiveSegment() }
        var buffer = [UInt8]()
        buffer.reserveCapacity(batch.reduce(0) { $0 + $1.bytes.count })
        var locations: [Location] = []
        var offset = activeSize
        for record in batch {
            locations.append(Location(segment: active, offset: offset, envelopeLength: record.envelopeLength,
                                      messageLength: record.messageLength))
            buffer += record.bytes
            offset += UInt64(record.bytes.count)
        }
        let path = segmentPath(active)
        var writeFailure: DurableFile.Failure?
        buffer.withUnsafeBytes { raw in
            do throws(DurableFile.Failure) { try files.write(activeFD, raw, path: path) } catch { writeFailure = error }
        }
        if let writeFailure { throw writeFailure }
        // The acknowledgement waits for this: without it a power loss takes acknowledged mail.
        try files.sync(activeFD, path: path, dataOnly: true)
        activeSize = offset
        return locations
    }

    private func openActiveSegment() throws(DurableFile.Failure) {
        let path = segmentPath(active)
        let fd = try files.open(path, flags: O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode: 0o640)
        // The name may exist from here on even if its directory sync fails; listed, it is
        // deleted like any dead segment.
        lock.lock()
        segments.append(active)
        lock.unlock()
        do throws(DurableFile.Failure) {
            try files.syncDirectory(segmentsPath)
        } catch {
            files.close(fd)
            throw error
        }
        activeFD = fd
        activeSize = 0
    }

    private func rotate() {
        files.close(activeFD)
        activeFD = -1
        lock.lock()
        active += 1
        lock.unlock()
        removeDeadSegments()
    }

    private func segmentPath(_ segment: Int) -> String {
        "\(segmentsPath)/\(segment).seg"
    }

    // MARK: Finishing

    /// Drops a message that is done: its state file, then a tombstone for its record (made
    /// durable with the next group commit; a tombstone lost in a crash means the message is
    /// delivered again, never that one is lost).
    public func finish(_ id: Int) throws {
        unlink(stateURL(id).path)
        lock.lock()
        guard isOwner else {
            lock.unlock()
            throw SpoolError.notOwner
        }
        if let location = index.removeValue(forKey: id) {
            live[location.segment, default: 1] -= 1
        }
        let tombstone = Spool.record(kind: .tombstone, mid: id, envelopeLength: 0)
        pending.append(PendingRecord(mid: id, bytes: tombstone, envelopeLength: 0, messageLength: 0, completion: nil))
        lock.signal()
        lock.unlock()
        removeDeadSegments()
    }

    /// Deletes the oldest segments while none of their messages is live and they are not
    /// the one being written.
    private func removeDeadSegments() {
        lock.lock()
        var removed: [Int] = []
        while let oldest = segments.first, oldest < active, (live[oldest] ?? 0) == 0 {
            removed.append(segments.removeFirst())
            live[oldest] = nil
        }
        lock.unlock()
        for segment in removed { unlink(segmentPath(segment)) }
    }

    // MARK: Reading

    /// The messages in the queue, oldest MID first. In the engine, from memory; in another
    /// process (the CLI), by reading the segments.
    public func entries() -> [Entry] { listing().entries }

    /// The messages queued, and the segments that could not be read to list them (each
    /// `1.seg: Permission denied`): a reader without access to some must not show the queue
    /// as complete. The engine, which owns the queue, has read every segment.
    public func listing() -> (entries: [Entry], unreadable: [String]) {
        lock.lock()
        if isOwner {
            let all = index.map { Entry(id: $0.key, location: $0.value) }
            lock.unlock()
            return (all.sorted { $0.id < $1.id }, [])
        }
        lock.unlock()
        let scan = Spool.scan(segmentsDirectory, repair: false)
        return (scan.index.map { Entry(id: $0.key, location: $0.value) }.sorted { $0.id < $1.id }, scan.unreadable)
    }

    /// The entry of a queued message, if it is queued.
    public func entry(_ id: Int) -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        return index[id].map { Entry(id: id, location: $0) }
    }

    /// A stored message: its envelope JSON and the message bytes (trace header included).
    public func read(_ entry: Entry) throws -> (envelope: Data, message: Data) {
        let l = entry.location
        let fd = Foundation.open(segmentPath(l.segment), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SpoolError.damaged("MID \(entry.id): its segment is gone") }
        defer { close(fd) }
        let length = l.envelopeLength + l.messageLength
        var data = Data(count: length)
        let n = data.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, off_t(l.offset) + off_t(Spool.headerSize)) }
        guard n == length else { throw SpoolError.damaged("MID \(entry.id): short read") }
        let envelope = data.prefix(l.envelopeLength - 1)  // without its newline
        return (Data(envelope), Data(data.suffix(l.messageLength)))
    }
}

public enum SpoolError: Error, CustomStringConvertible {
    case damaged(String)
    case notOwner
    /// Queue segments that cannot be read (name and reason each).
    case unreadable([String])

    public var description: String {
        switch self {
        case .damaged(let what): return "the queue is damaged: \(what)"
        case .unreadable(let segments):
            return "queue segments in queue/segments cannot be read (\(segments.joined(separator: "; "))); they may "
                + "hold accepted mail, so nothing was changed: give the engine's account read access to them"
        case .notOwner: return "only the engine changes the queue"
        }
    }
}
