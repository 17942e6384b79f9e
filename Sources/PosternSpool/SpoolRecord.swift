import Foundation

/// The segment record format and the scan that recovers the queue from it.
extension Spool {
    // MARK: Record format

    enum Kind: UInt8 {
        case message = 1
        case tombstone = 2
    }

    static let headerSize = 32
    static let magic: [UInt8] = Array("PSPL".utf8)

    /// A whole record in one buffer: the header, then the payload `fill` appends (its first
    /// `envelopeLength` bytes are the envelope line, the rest the message). The header is
    /// magic(4) version(1) kind(1) reserved(2) mid(8) envelopeLength(4) messageLength(8)
    /// crc32(4), little-endian.
    static func record(kind: Kind, mid: Int, envelopeLength: Int, capacity: Int = 0,
                       fill: (inout [UInt8]) -> Void = { _ in }) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: headerSize)
        out.reserveCapacity(headerSize + capacity)
        fill(&out)
        let messageLength = out.count - headerSize - envelopeLength
        let crc = out.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[headerSize...])) }
        out.withUnsafeMutableBytes { header in
            header.copyBytes(from: magic)
            header[4] = 1
            header[5] = kind.rawValue
            header.storeBytes(of: UInt64(mid).littleEndian, toByteOffset: 8, as: UInt64.self)
            header.storeBytes(of: UInt32(envelopeLength).littleEndian, toByteOffset: 16, as: UInt32.self)
            header.storeBytes(of: UInt64(messageLength).littleEndian, toByteOffset: 20, as: UInt64.self)
            header.storeBytes(of: crc.littleEndian, toByteOffset: 28, as: UInt32.self)
        }
        return out
    }

    /// The numbers of the segment files in `directory`, oldest first; nil when it cannot be
    /// listed (a directory that does not exist yet lists as empty).
    static func segmentNumbers(in directory: String) -> [Int]? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            // Only a directory that is not there lists as empty; one this account cannot reach
            // (a parent it may not enter) is not an empty queue.
            var info = stat()
            return stat(directory, &info) != 0 && errno == ENOENT ? [] : nil
        }
        return names.compactMap { $0.hasSuffix(".seg") ? Int($0.dropLast(4)) : nil }.sorted()
    }

    struct ScanResult {
        var index: [Int: Location] = [:]
        var live: [Int: Int] = [:]
        var segments: [Int] = []
        var discarded = 0
        var quarantined = 0
        var quarantineFiles: [String] = []
        var highestMID = 0
        /// Segments that could not be read (`1.seg: Permission denied`): what they hold is unknown.
        var unreadable: [String] = []
    }

    /// Where the rest of a damaged segment is kept: `queue/quarantine/`.
    static func quarantineDirectory(of segmentsDirectory: URL) -> URL {
        segmentsDirectory.deletingLastPathComponent().appendingPathComponent("quarantine", isDirectory: true)
    }

    /// Reads every segment in order, and in each stops at the first record that does not
    /// check: it never searches for the next record inside what follows, because that is a
    /// sender's message, which may embed a well-formed record with a valid CRC (style.md §17).
    /// - A torn tail (a header cut short, or a record running past the end of the file) is
    ///   what a crash leaves of a write that was never acknowledged: its bytes are counted in
    ///   `discarded` and, with `repair`, cut off.
    /// - Anything else (a bad magic, a CRC that fails inside the file: damage on disk) may be
    ///   followed by acknowledged mail that cannot be told from message bytes: the rest of the
    ///   segment is counted in `quarantined` and, with `repair`, moved to
    ///   `queue/quarantine/<segment>-<offset>.seg` for the administrator, then cut off.
    /// With `repair`, nothing is ever appended after damage (the writer starts a new segment).
    ///
    /// A segment that cannot be read (or a directory that cannot be listed) is named in
    /// `unreadable`; with `repair`, that is known before anything is repaired, and then nothing
    /// is: what such a segment holds is unknown, and the caller refuses to go on.
    static func scan(_ directory: URL, repair: Bool) -> ScanResult {
        var result = ScanResult()
        guard let segments = segmentNumbers(in: directory.path) else {
            let listing = opendir(directory.path)
            let reason = listing == nil ? errno : ENOTDIR
            if let listing { closedir(listing) }
            result.unreadable = ["the directory cannot be listed: \(String(cString: strerror(reason)))"]
            return result
        }
        result.segments = segments
        if repair {
            result.unreadable = segments.compactMap { segment in
                let path = directory.appendingPathComponent("\(segment).seg").path
                return whyUnreadable(path).map { "\(segment).seg: \(String(cString: strerror($0)))" }
            }
            guard result.unreadable.isEmpty else { return result }
        }
        for segment in result.segments {
            let path = directory.appendingPathComponent("\(segment).seg").path
            guard let data = FileManager.default.contents(atPath: path) else {
                result.unreadable.append("\(segment).seg: \(String(cString: strerror(whyUnreadable(path) ?? EIO)))")
                continue
            }
            var offset = 0
            while offset < data.count {
                guard let (kind, mid, envelopeLength, messageLength) = parseHeader(data, at: offset) else {
                    if isTornTail(data, at: offset) {
                        result.discarded += data.count - offset
                        if repair { truncate(path, off_t(offset)) }
                    } else {
                        result.quarantined += data.count - offset
                        if repair, let kept = quarantine(data[offset...], segment: segment, offset: offset,
                                                         in: quarantineDirectory(of: directory)) {
                            result.quarantineFiles.append(kept)
                            truncate(path, off_t(offset))
                        }
                    }
                    break
                }
                result.highestMID = max(result.highestMID, mid)
                switch kind {
                case .message:
                    if let old = result.index[mid] { result.live[old.segment, default: 1] -= 1 }
                    result.index[mid] = Location(segment: segment, offset: UInt64(offset), envelopeLength: envelopeLength,
                                                 messageLength: messageLength)
                    result.live[segment, default: 0] += 1
                case .tombstone:
                    if let old = result.index.removeValue(forKey: mid) { result.live[old.segment, default: 1] -= 1 }
                }
                offset += headerSize + envelopeLength + messageLength
            }
        }
        return result
    }

    /// The errno that stops `path` from being opened and read, or nil when it can be (a
    /// directory opens, and only reading it says EISDIR). For a directory that cannot be
    /// listed, the errno of opening it.
    private static func whyUnreadable(_ path: String) -> Int32? {
        let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var byte: UInt8 = 0
        return Foundation.read(fd, &byte, 1) < 0 ? errno : nil
    }

    /// Whether the bytes from `offset` are one record cut short by the end of the file: fewer
    /// bytes than a header, or a plausible header whose record runs past the end.
    private static func isTornTail(_ data: Data, at offset: Int) -> Bool {
        guard offset + headerSize <= data.count else { return true }
        return data.withUnsafeBytes { raw -> Bool in
            let base = raw.baseAddress! + offset
            guard Array(UnsafeRawBufferPointer(start: base, count: 4)) == magic, base.load(fromByteOffset: 4, as: UInt8.self) == 1,
                Kind(rawValue: base.load(fromByteOffset: 5, as: UInt8.self)) != nil
            else { return false }
            let envelopeLength = UInt64(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 16, as: UInt32.self)))
            let messageLength = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 20, as: UInt64.self))
            // Compared with what is left, never summed with the offset: damage can put a
            // length near UInt64.max here (found by Fuzz/SpoolScanner).
            let available = UInt64(data.count - offset - headerSize)
            let (length, overflow) = envelopeLength.addingReportingOverflow(messageLength)
            return overflow || length > available
        }
    }

    /// Keeps the damaged rest of a segment; returns its file name, or nil when it could not be
    /// written (then the segment is left whole, and the next start tries again).
    private static func quarantine(_ bytes: Data, segment: Int, offset: Int, in directory: URL) -> String? {
        let name = "\(segment)-\(offset).seg"
        do {
            try SharedDirectory.create(directory)
            try DurableFile.write(Data(bytes), to: directory.appendingPathComponent(name), mode: 0o640)
            return name
        } catch {
            return nil
        }
    }

    /// The header at `offset` if its record is whole and its CRC checks.
    private static func parseHeader(_ data: Data, at offset: Int) -> (Kind, Int, Int, Int)? {
        guard offset + headerSize <= data.count else { return nil }
        return data.withUnsafeBytes { raw -> (Kind, Int, Int, Int)? in
            let base = raw.baseAddress! + offset
            guard Array(UnsafeRawBufferPointer(start: base, count: 4)) == magic, base.load(fromByteOffset: 4, as: UInt8.self) == 1,
                let kind = Kind(rawValue: base.load(fromByteOffset: 5, as: UInt8.self))
            else { return nil }
            // Damage can put any number here: a length past the file (or past Int) is a record
            // that does not check, never a trap (found by Fuzz/SpoolScanner).
            let available = UInt64(data.count - offset - headerSize)
            let rawMID = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            let rawEnvelope = UInt64(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 16, as: UInt32.self)))
            let rawMessage = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 20, as: UInt64.self))
            guard let mid = Int(exactly: rawMID), rawEnvelope <= available, rawMessage <= available - rawEnvelope,
                kind == .tombstone || rawEnvelope > 0  // a message's envelope ends with its newline
            else { return nil }
            let envelopeLength = Int(rawEnvelope)
            let messageLength = Int(rawMessage)
            let crc = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 28, as: UInt32.self))
            let payload = UnsafeRawBufferPointer(start: base + headerSize, count: envelopeLength + messageLength)
            guard CRC32.checksum(payload) == crc else { return nil }
            return (kind, mid, envelopeLength, messageLength)
        }
    }
}

/// CRC-32 (IEEE, as zlib), table-driven.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ raw: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for byte in raw { crc = t[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
