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
var matched = 0
let lookupStart = DispatchTime.now().uptimeNanoseconds
for peer in probes {
    if case .matched(let m) = hat.evaluate(peer), m.group != "UNKNOWNLIST" { matched += 1 }
}
let lookupNanos = Double(DispatchTime.now().uptimeNanoseconds - lookupStart) / Double(lookups)

print("""
    {"entries": \(hat.entryCount), "groups": \(groups.count), "parse_seconds": \(parsed), \
    "compile_seconds": \(compile), "compiled_bytes": \(hat.memoryFootprint), \
    "rss_growth_bytes": \(memoryAfter - memoryBefore), "lookup_ns": \(lookupNanos), \
    "lookups": \(lookups), "matched_share": \(Double(matched) / Double(lookups))}
    """)
