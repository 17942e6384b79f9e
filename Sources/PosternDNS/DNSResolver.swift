import CAres
import NIOConcurrencyHelpers
import NIOCore
import PosternConfig

/// Asynchronous DNS on c-ares: PTR, A/AAAA and MX questions answered as futures on the
/// caller's event loop. Nothing blocks a loop or a shared pool (DESIGN.md, "Hostile input"):
/// one resolver thread drives c-ares, each question carries a deadline after which its future
/// completes as a temporary failure whether or not the server ever answers, and at most
/// `maxInFlight` questions are open at once (more are answered at once as a temporary failure,
/// as a busy resolver would).
public final class DNSResolver: Sendable {
    /// Resolver settings; `servers` nil reads /etc/resolv.conf (and /etc/hosts) as libc does.
    public struct Options: Sendable {
        /// `host[:port]` list, comma-separated (`127.0.0.1:5353`, `[::1]:53`): the only servers
        /// asked, and /etc/hosts is not read. For tests and split setups.
        public var servers: String?
        /// c-ares' time for the first try of a query; later tries wait longer (its back-off).
        public var tryTimeout: TimeAmount
        public var tries: Int
        public var maxInFlight: Int
        /// Whether /etc/hosts answers before DNS (PTR and addresses), as libc does; default:
        /// only when `servers` is nil (an injected server is the whole truth).
        public var hostsFile: Bool

        public init(servers: String? = nil, tryTimeout: TimeAmount = .seconds(2), tries: Int = 2, maxInFlight: Int = 4096,
                    hostsFile: Bool? = nil) {
            self.servers = servers
            self.hostsFile = hostsFile ?? (servers == nil)
            self.tryTimeout = tryTimeout
            self.tries = tries
            self.maxInFlight = maxInFlight
        }
    }

    private let thread: ResolverThread
    private let inFlight = NIOLockedValueBox(0)
    private let maxInFlight: Int

    public init(_ options: Options = Options()) throws(DNSError) {
        _ = DNSResolver.libraryReady
        thread = try ResolverThread(servers: options.servers, hostsFile: options.hostsFile,
                                    timeoutMilliseconds: Int(options.tryTimeout.nanoseconds / 1_000_000),
                                    tries: max(1, options.tries))
        maxInFlight = options.maxInFlight
    }

    /// `ares_library_init` once per process (it is a no-op on Linux, but the API asks for it).
    private static let libraryReady: Int32 = ares_library_init(ARES_LIB_INIT_ALL)

    /// Stops the resolver thread; open questions complete as temporary failures.
    public func shutdown() {
        thread.shutdown()
    }

    deinit { thread.shutdown() }  // a second shutdown returns at once

    /// Questions open right now (for status and tests).
    public var openQuestions: Int { inFlight.withLockedValue { $0 } }

    /// The PTR names of `address` (the first is the canonical one).
    public func pointer(_ address: IPAddress, on loop: EventLoop, deadline: NIODeadline) -> EventLoopFuture<DNSAnswer<[String]>> {
        ask(.pointer(address.unmapped), on: loop, deadline: deadline) { outcome in
            if case .names(let names) = outcome { return names.isEmpty ? .noRecords : .records(names) }
            return nil
        }
    }

    /// The A and/or AAAA addresses of `host`, in the order the server gave them.
    public func addresses(of host: String, family: AddressFamily, on loop: EventLoop,
                          deadline: NIODeadline) -> EventLoopFuture<DNSAnswer<[IPAddress]>> {
        ask(.addresses(host, family), on: loop, deadline: deadline) { outcome in
            if case .addresses(let list) = outcome { return list.isEmpty ? .noRecords : .records(list) }
            return nil
        }
    }

    /// The MX records of `domain`, unsorted.
    public func mx(_ domain: String, on loop: EventLoop, deadline: NIODeadline) -> EventLoopFuture<DNSAnswer<[MXRecord]>> {
        ask(.mx(domain), on: loop, deadline: deadline) { outcome in
            if case .mx(let records) = outcome { return records.isEmpty ? .noRecords : .records(records) }
            return nil
        }
    }

    private func ask<R>(
        _ question: ResolverThread.Question, on loop: EventLoop, deadline: NIODeadline,
        _ records: @escaping @Sendable (ResolverThread.Outcome) -> DNSAnswer<R>?
    ) -> EventLoopFuture<DNSAnswer<R>> {
        let promise = loop.makePromise(of: DNSAnswer<R>.self)
        let admitted = inFlight.withLockedValue { count -> Bool in
            guard count < maxInFlight else { return false }
            count += 1
            return true
        }
        guard admitted else {
            promise.succeed(.temporaryFailure("too many DNS queries in flight (\(maxInFlight))"))
            return promise.futureResult
        }
        // The first of answer and deadline completes the promise.
        let done = NIOLockedValueBox(false)
        let first: @Sendable () -> Bool = { done.withLockedValue { finished in defer { finished = true }; return !finished } }
        let timer = loop.scheduleTask(deadline: deadline) {
            if first() { promise.succeed(.temporaryFailure("DNS query timed out")) }
        }
        let counter = inFlight
        thread.submit(ResolverThread.Request(question: question) { outcome in
            counter.withLockedValue { $0 -= 1 }
            let answer = records(outcome) ?? DNSResolver.answer(failure: outcome)
            guard first() else { return }
            timer.cancel()
            promise.succeed(answer)
        })
        return promise.futureResult
    }

    private static func answer<R>(failure outcome: ResolverThread.Outcome) -> DNSAnswer<R> {
        guard case .failed(let status) = outcome else { return .temporaryFailure("unexpected DNS answer") }
        switch status {
        case ARES_ENOTFOUND: return .nameDoesNotExist
        case ARES_ENODATA: return .noRecords
        default: return .temporaryFailure(String(cString: ares_strerror(status)))
        }
    }
}
