import Foundation
import NIOCore
import PosternStore

/// The engine's file-descriptor limit. Every connection costs one descriptor (two while a
/// delivery is relayed), and a distribution's default soft limit (1,024) is far below what an
/// event-driven server holds; the hard limit is what the administrator allowed.
public enum DescriptorLimit {
    /// Raises the soft limit to the hard limit. Returns the limits before and after, or nil
    /// when they cannot be read.
    @discardableResult
    public static func raiseToHardLimit() -> (before: UInt64, after: UInt64)? {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return nil }
        let before = UInt64(limit.rlim_cur)
        guard limit.rlim_cur < limit.rlim_max else { return (before, before) }
        limit.rlim_cur = limit.rlim_max
        guard setrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return (before, before) }
        return (before, UInt64(limit.rlim_max))
    }

    /// The soft limit in force.
    public static var current: UInt64? {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return nil }
        return UInt64(limit.rlim_cur)
    }

    /// How many connections the soft limit leaves room for, keeping a reserve for what the
    /// engine itself opens (queue segments, logs, the status file, DNS, event loops, delivery):
    /// an eighth of the limit, and at least 32.
    public static func connectionBudget(limit: UInt64? = current) -> Int {
        guard let limit, limit < UInt64(Int.max) else { return Int.max }
        let reserve = max(32, limit / 8)
        return limit > reserve ? Int(limit - reserve) : 0
    }

    // Glibc declares RLIMIT_NOFILE as an enum constant of type __rlimit_resource.
    private static let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
}

/// On a listening socket: counts the connections `accept` could not take for lack of file
/// descriptors (EMFILE, ENFILE), so `status` can say so, and writes one mail-log warning per
/// burst. NIO's `AcceptBackoffHandler` before it pauses accepting for a second on these errors
/// instead of spinning on a socket that stays readable.
final class DescriptorShortageRecorder: ChannelInboundHandler {
    typealias InboundIn = Any

    private let registry: ConnectionRegistry
    private let warn: (String) -> Void
    private var lastWarning: NIODeadline?

    init(registry: ConnectionRegistry, warn: @escaping (String) -> Void) {
        self.registry = registry
        self.warn = warn
    }

    static func isShortage(_ error: any Error) -> Bool {
        guard let io = error as? IOError else { return false }
        return io.errnoCode == EMFILE || io.errnoCode == ENFILE
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard Self.isShortage(error) else {
            context.fireErrorCaught(error)
            return
        }
        registry.count { $0.connectionsRefusedForDescriptors += 1 }
        let now = NIODeadline.now()
        if lastWarning.map({ now - $0 >= .seconds(60) }) ?? true {
            lastWarning = now
            let limit = DescriptorLimit.current.map { " (limit \($0))" } ?? ""
            warn("Connections refused: the engine is out of file descriptors\(limit)")
        }
    }
}
