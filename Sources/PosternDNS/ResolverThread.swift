import CAres
import Foundation
import NIOConcurrencyHelpers
import PosternConfig

/// The one thread that owns the c-ares channel. c-ares 1.18 channels are not thread-safe, so
/// every c-ares call happens here: queries are handed over through a locked queue and a wake
/// pipe, and the thread polls the wake pipe together with the sockets c-ares asks it to watch
/// (its `sock_state_cb`). The thread never blocks on anything but that `poll`, whose timeout is
/// c-ares' own next retry or expiry: one thread serves any number of queries, and a query
/// that gets no answer costs a socket slot, not a thread.
final class ResolverThread: @unchecked Sendable {
    // @unchecked: `pending`, `stopping` are guarded by `lock`; everything else is touched only
    // on the resolver thread once it runs (`channel`, `sockets`).
    enum Question {
        case pointer(IPAddress)
        case addresses(String, AddressFamily)
        case mx(String)
    }

    /// A question and what to do with the raw outcome; `complete` runs on the resolver thread.
    final class Request {
        let question: Question
        let complete: @Sendable (Outcome) -> Void
        init(question: Question, complete: @escaping @Sendable (Outcome) -> Void) {
            self.question = question
            self.complete = complete
        }
    }

    enum Outcome: Sendable {
        case names([String])
        case addresses([IPAddress])
        case mx([MXRecord])
        case failed(Int32)
    }

    private let lock = NIOLock()
    private var pending: [Request] = []
    private var stopping = false
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private var channel: ares_channel?
    /// Reads /etc/hosts only: PTR answers from the hosts file come first, as libc's
    /// getnameinfo gives them (nsswitch "files dns"); nil when the hosts file is not read.
    private var filesChannel: ares_channel?
    /// The sockets c-ares watches: fd → (readable, writable).
    fileprivate var sockets: [Int32: (Bool, Bool)] = [:]
    private let finished = DispatchSemaphore(value: 0)

    /// Creates the channel (throws when c-ares cannot start) and starts the thread.
    init(servers: String?, hostsFile: Bool, timeoutMilliseconds: Int, tries: Int) throws(DNSError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw DNSError("cannot create the resolver's wake pipe: errno \(errno)") }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        var options = ares_options()
        options.flags = ARES_FLAG_NOSEARCH
        options.timeout = Int32(timeoutMilliseconds)
        options.tries = Int32(tries)
        options.sock_state_cb = { data, fd, readable, writable in
            guard let data else { return }
            let thread = Unmanaged<ResolverThread>.fromOpaque(data).takeUnretainedValue()
            if readable == 0 && writable == 0 {
                thread.sockets[fd] = nil
            } else {
                thread.sockets[fd] = (readable != 0, writable != 0)
            }
        }
        options.sock_state_cb_data = Unmanaged.passUnretained(self).toOpaque()
        var lookups = Array((hostsFile ? "fb" : "b").utf8CString)
        let mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS
        let status = lookups.withUnsafeMutableBufferPointer { buffer -> Int32 in
            options.lookups = buffer.baseAddress
            return ares_init_options(&channel, &options, mask)
        }
        var failure: String?
        if status != ARES_SUCCESS {
            failure = "cannot start the resolver: \(String(cString: ares_strerror(status)))"
        } else if let servers, case let rc = ares_set_servers_ports_csv(channel, servers), rc != ARES_SUCCESS {
            failure = "bad DNS server list \(servers): \(String(cString: ares_strerror(rc)))"
        } else if hostsFile {
            var files = ares_options()
            var onlyFiles = Array("f".utf8CString)
            let rc = onlyFiles.withUnsafeMutableBufferPointer { buffer -> Int32 in
                files.lookups = buffer.baseAddress
                return ares_init_options(&filesChannel, &files, ARES_OPT_LOOKUPS)
            }
            if rc != ARES_SUCCESS { failure = "cannot start the resolver: \(String(cString: ares_strerror(rc)))" }
        }
        if let failure {
            if status == ARES_SUCCESS { ares_destroy(channel) }
            close(wakeRead)
            close(wakeWrite)
            throw DNSError(failure)
        }
        let thread = Thread { [self] in run() }
        thread.name = "posternd.dns"
        thread.start()
    }

    /// Queues a question; its `complete` runs once, on the resolver thread.
    func submit(_ request: Request) {
        let accepted = lock.withLock { () -> Bool in
            guard !stopping else { return false }
            pending.append(request)
            return true
        }
        guard accepted else {
            request.complete(.failed(ARES_EDESTRUCTION))
            return
        }
        wake()
    }

    /// Stops the thread; queries still open complete as failed. Waits until it has stopped.
    func shutdown() {
        let first = lock.withLock { () -> Bool in
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        wake()
        finished.wait()
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)  // a full pipe already means "wake up"
    }

    private func run() {
        while true {
            let (requests, stop) = lock.withLock { () -> ([Request], Bool) in
                defer { pending.removeAll() }
                return (pending, stopping)
            }
            for request in requests { start(request) }
            if stop { break }
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            for (fd, (readable, writable)) in sockets {
                fds.append(pollfd(fd: fd, events: Int16((readable ? POLLIN : 0) | (writable ? POLLOUT : 0)), revents: 0))
            }
            var longest = timeval(tv_sec: 1, tv_usec: 0)
            var next = timeval()
            let wait = ares_timeout(channel, &longest, &next).map { Int32($0.pointee.tv_sec * 1000 + $0.pointee.tv_usec / 1000) } ?? 1000
            let ready = poll(&fds, nfds_t(fds.count), max(wait, 0))
            if ready > 0 {
                if fds[0].revents != 0 {
                    var sink = [UInt8](repeating: 0, count: 256)
                    while read(wakeRead, &sink, sink.count) > 0 {}
                }
                for entry in fds.dropFirst() where entry.revents != 0 {
                    let bad = ARES_SOCKET_BAD
                    let readable = entry.revents & Int16(POLLIN | POLLERR | POLLHUP) != 0 ? entry.fd : bad
                    let writable = entry.revents & Int16(POLLOUT | POLLERR | POLLHUP) != 0 ? entry.fd : bad
                    ares_process_fd(channel, readable, writable)
                }
            }
            // Expires and retries what is due, whether or not a socket was ready.
            ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD)
        }
        ares_destroy(channel)  // completes every open query with ARES_EDESTRUCTION
        if let filesChannel { ares_destroy(filesChannel) }
        close(wakeRead)
        close(wakeWrite)
        finished.signal()
    }

    private func start(_ request: Request) {
        let context = Unmanaged.passRetained(request).toOpaque()
        switch request.question {
        case .pointer(let address):
            guard let filesChannel else { return queryPointer(address, context) }
            // The hosts file answers synchronously; a miss goes on to DNS.
            let step = Unmanaged.passRetained(HostsFileStep(thread: self, address: address, context: context))
            address.networkBytes.withUnsafeBytes { raw in
                ares_gethostbyaddr(filesChannel, raw.baseAddress, Int32(raw.count), address.isIPv4 ? AF_INET : AF_INET6,
                                   { step, status, _, host in
                    let step = Unmanaged<HostsFileStep>.fromOpaque(step!).takeRetainedValue()
                    guard status == ARES_SUCCESS, let host else {
                        return step.thread.queryPointer(step.address, step.context)
                    }
                    let request = Unmanaged<Request>.fromOpaque(step.context).takeRetainedValue()
                    request.complete(.names(host.pointee.names))
                }, step.toOpaque())
            }
        case .addresses(let name, let family):
            var hints = ares_addrinfo_hints()
            switch family {
            case .ipv4: hints.ai_family = AF_INET
            case .ipv6: hints.ai_family = AF_INET6
            case .any: hints.ai_family = AF_UNSPEC
            }
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            ares_getaddrinfo(channel, name, nil, &hints, { context, status, _, result in
                let request = Unmanaged<Request>.fromOpaque(context!).takeRetainedValue()
                guard status == ARES_SUCCESS, let result else { return request.complete(.failed(status)) }
                defer { ares_freeaddrinfo(result) }
                var out: [IPAddress] = []
                var node = result.pointee.nodes
                while let current = node {
                    if let sa = current.pointee.ai_addr, let address = IPAddress(sockaddr: sa), !out.contains(address) {
                        out.append(address)
                    }
                    node = current.pointee.ai_next
                }
                request.complete(.addresses(out))
            }, context)
        case .mx(let domain):
            ares_query(channel, domain, DNSClass.internet, DNSType.mx, { context, status, _, answer, length in
                let request = Unmanaged<Request>.fromOpaque(context!).takeRetainedValue()
                guard status == ARES_SUCCESS, let answer else { return request.complete(.failed(status)) }
                var reply: UnsafeMutablePointer<ares_mx_reply>?
                let parsed = ares_parse_mx_reply(answer, length, &reply)
                guard parsed == ARES_SUCCESS else { return request.complete(.failed(parsed)) }
                defer { ares_free_data(reply) }
                var records: [MXRecord] = []
                var cursor = reply
                while let current = cursor {
                    let host = current.pointee.host.map { String(cString: $0) } ?? ""
                    records.append(MXRecord(preference: Int(current.pointee.priority), host: host))
                    cursor = current.pointee.next
                }
                request.complete(.mx(records))
            }, context)
        }
    }
}

extension ResolverThread {
    /// The hosts-file step of a PTR question: where to go on a miss.
    final class HostsFileStep {
        let thread: ResolverThread
        let address: IPAddress
        let context: UnsafeMutableRawPointer
        init(thread: ResolverThread, address: IPAddress, context: UnsafeMutableRawPointer) {
            self.thread = thread
            self.address = address
            self.context = context
        }
    }

    /// A PTR query of its own, not ares_gethostbyaddr on the DNS channel: that one reports a
    /// timeout as "not found", and a timeout must stay a temporary failure.
    func queryPointer(_ address: IPAddress, _ context: UnsafeMutableRawPointer) {
        ares_query(channel, address.pointerName, DNSClass.internet, DNSType.pointer, { context, status, _, answer, length in
            let request = Unmanaged<Request>.fromOpaque(context!).takeRetainedValue()
            guard status == ARES_SUCCESS, let answer else { return request.complete(.failed(status)) }
            var host: UnsafeMutablePointer<hostent>?
            let parsed = ares_parse_ptr_reply(answer, length, nil, 0, AF_INET, &host)
            guard parsed == ARES_SUCCESS, let host else { return request.complete(.failed(parsed)) }
            defer { ares_free_hostent(host) }
            request.complete(.names(host.pointee.names))
        }, context)
    }
}

extension hostent {
    /// The canonical name, then the aliases, each once.
    var names: [String] {
        var names: [String] = []
        if let name = h_name { names.append(String(cString: name)) }
        var alias = h_aliases
        while let current = alias?.pointee {
            let name = String(cString: current)
            if !names.contains(name) { names.append(name) }
            alias = alias?.advanced(by: 1)
        }
        return names
    }
}

/// RFC 1035 §3.2.2 and §3.2.4 values (c-ares' `ns_c_in`/`ns_t_mx` are not importable macros).
enum DNSClass {
    static let internet: Int32 = 1
}

enum DNSType {
    static let pointer: Int32 = 12
    static let mx: Int32 = 15
}

extension IPAddress {
    /// The name a PTR query asks for (RFC 1035 §3.5, RFC 3596 §2.5).
    var pointerName: String {
        switch self {
        case .v4:
            return networkBytes.reversed().map(String.init).joined(separator: ".") + ".in-addr.arpa"
        case .v6:
            let nibbles = networkBytes.flatMap { [$0 >> 4, $0 & 0xF] }
            return nibbles.reversed().map { String($0, radix: 16) }.joined(separator: ".") + ".ip6.arpa"
        }
    }
}

/// A resolver that could not start, with the reason.
public struct DNSError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
