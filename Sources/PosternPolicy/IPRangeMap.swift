/// Maps every address to the first-ranked range that contains it.
///
/// Sender-group entries are arbitrary inclusive ranges (a CIDR, `10.1.1.10-20`, a partial
/// IP), and the HAT's rule is first match in table order, not longest prefix. So the
/// ranges are flattened once, by a sweep over their endpoints, into sorted disjoint
/// intervals each labelled with the best-ranked range covering it; a lookup is then one
/// binary search: O(log n) whatever the overlap.
public struct IPRangeMap<Key: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable {
    /// Interval starts, ascending; interval i covers starts[i] ... ends[i].
    private var starts: [Key] = []
    private var ends: [Key] = []
    /// The rank of the range that owns each interval (lower wins).
    private var owners: [Int32] = []

    public init() {}

    /// Builds the map from (low, high, rank) ranges; for each address the lowest rank wins.
    public init(ranges: [(low: Key, high: Key, rank: Int32)]) {
        guard !ranges.isEmpty else { return }
        // The owner can only change where some range begins or just after one ends.
        var boundaries: [Key] = []
        boundaries.reserveCapacity(ranges.count * 2)
        for r in ranges {
            boundaries.append(r.low)
            if r.high < Key.max { boundaries.append(r.high + 1) }
        }
        boundaries.sort()
        // Sweep the boundaries with a heap of the ranges begun so far, keyed by rank;
        // ranges that ended before the current point are dropped when they reach the top.
        let byStart = ranges.sorted { $0.low < $1.low }
        var heap = MinHeap()
        var next = 0
        var open: (start: Key, owner: Int32)?
        var previous: Key?
        for point in boundaries {
            if point == previous { continue }
            previous = point
            while next < byStart.count, byStart[next].low <= point {
                heap.push(rank: byStart[next].rank, high: UInt128(byStart[next].high))
                next += 1
            }
            while let top = heap.top, top.high < UInt128(point) { heap.pop() }
            let owner = heap.top?.rank
            if let current = open, current.owner != owner {
                close(current, at: point - 1)
                open = nil
            }
            if open == nil, let owner { open = (point, owner) }
        }
        if let current = open { close(current, at: Key.max) }
    }

    private mutating func close(_ interval: (start: Key, owner: Int32), at end: Key) {
        starts.append(interval.start)
        ends.append(end)
        owners.append(interval.owner)
    }

    /// The rank owning `address`, or nil when no range contains it.
    public func lookup(_ address: Key) -> Int32? {
        var low = 0
        var high = starts.count
        while low < high {
            let mid = (low + high) / 2
            if starts[mid] <= address { low = mid + 1 } else { high = mid }
        }
        let i = low - 1
        guard i >= 0, address <= ends[i] else { return nil }
        return owners[i]
    }

    /// How many disjoint intervals the ranges flattened into.
    public var intervalCount: Int { starts.count }

    /// Approximate bytes held by the tables.
    public var memoryFootprint: Int { starts.capacity * MemoryLayout<Key>.stride * 2 + owners.capacity * 4 }
}

/// A binary min-heap of (rank, end) used by the sweep.
private struct MinHeap {
    private var items: [(rank: Int32, high: UInt128)] = []

    var top: (rank: Int32, high: UInt128)? { items.first }

    mutating func push(rank: Int32, high: UInt128) {
        items.append((rank, high))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].rank < items[parent].rank else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() {
        guard !items.isEmpty else { return }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var smallest = i
            if l < items.count, items[l].rank < items[smallest].rank { smallest = l }
            if r < items.count, items[r].rank < items[smallest].rank { smallest = r }
            if smallest == i { break }
            items.swapAt(i, smallest)
            i = smallest
        }
    }
}
