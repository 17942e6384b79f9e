import Foundation

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
