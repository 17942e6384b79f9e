import Foundation
import PosternConfig
import PosternPolicy

/// HAT scale: builds a table of N mixed entries (addresses, CIDRs, ranges) over many sender
/// groups, compiles it, and looks up random addresses. Prints one JSON object.
let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000
let lookups = 2_000_000

func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let pages = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

func random32() -> UInt32 { UInt32.random(in: 0...UInt32.max) }
func text(_ v: UInt32) -> String { IPAddress.v4(v).description }

let groupSize = 10_000
var groups: [SenderGroup] = []
var entries: [SenderEntry] = []
entries.reserveCapacity(groupSize)
let buildStart = Date()
for i in 0..<count {
    let base = random32()
    let spec: String
    switch i % 3 {
    case 0: spec = text(base)
    case 1: spec = "\(text(base & 0xFFFF_FF00))/\(Int.random(in: 16...30))"
    default:
        let low = base & 0xFFFF_FF00 | UInt32.random(in: 0...100)
        spec = "\(text(low))-\(low & 0xff + UInt32.random(in: 0...100))"
    }
    entries.append(try! SenderEntry(parsing: spec))
    if entries.count == groupSize || i == count - 1 {
        groups.append(SenderGroup(name: "G\(groups.count)", entries: entries, action: .behavior(.accept)))
        entries = []
    }
}
var table = FactoryDefaults.publicHostAccess
table.senderGroups = groups + table.senderGroups
let parsed = Date().timeIntervalSince(buildStart)

let memoryBefore = residentBytes()
let compileStart = Date()
let hat = try! CompiledHostAccess(table)
let compile = Date().timeIntervalSince(compileStart)
let memoryAfter = residentBytes()

let probes = (0..<lookups).map { _ in PeerFacts(address: .v4(random32())) }

/// A monotonic clock reading in nanoseconds (clock_gettime through the vDSO: no syscall).
@inline(__always) func nanos() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

// Each lookup is timed on its own so that the median and p99 are of lookups, not of batches.
// The cost of reading the clock is measured the same way and subtracted (its median).
var clockCost = [UInt64](repeating: 0, count: 100_000)
for i in clockCost.indices {
    let start = nanos()
    clockCost[i] = nanos() - start
}
clockCost.sort()
let clockNanos = clockCost[clockCost.count / 2]

var samples = [UInt64](repeating: 0, count: lookups)
var matched = 0
let lookupStart = nanos()
for (i, peer) in probes.enumerated() {
    let start = nanos()
    let decision = hat.evaluate(peer)
    samples[i] = nanos() - start
    if case .matched(let m) = decision, m.group != "UNKNOWNLIST" { matched += 1 }
}
let meanNanos = Double(nanos() - lookupStart) / Double(lookups)
samples.sort()
/// The `p` quantile of the sorted samples, less one clock reading.
func percentile(_ sorted: [UInt64], _ p: Double, clock: UInt64) -> Double {
    let raw = sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    return Double(raw > clock ? raw - clock : 0)
}
let median = percentile(samples, 0.5, clock: clockNanos)
let p99 = percentile(samples, 0.99, clock: clockNanos)

print("""
    {"entries": \(hat.entryCount), "groups": \(groups.count), "parse_seconds": \(parsed), \
    "compile_seconds": \(compile), "compiled_bytes": \(hat.memoryFootprint), \
    "rss_growth_bytes": \(memoryAfter - memoryBefore), "lookup_median_ns": \(median), \
    "lookup_p99_ns": \(p99), "lookup_mean_ns_with_clock": \(meanNanos), \
    "clock_ns": \(clockNanos), \
    "lookups": \(lookups), "matched_share": \(Double(matched) / Double(lookups))}
    """)
