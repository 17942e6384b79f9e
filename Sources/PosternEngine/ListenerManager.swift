import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PosternConfig
import PosternControl
import PosternStore

/// The bound server sockets. A reload keeps a socket whose address and port stay, and only
/// swaps the runtime it hands to new connections; it binds new ones and closes those that
/// went away (their open connections drain on their own).
///
/// A listener is one listening socket per event loop on the same address and port
/// (SO_REUSEPORT): the kernel spreads new connections over them, and each connection is
/// accepted and served on the loop whose socket took it, with no hand-over between threads.
/// Before binding them, a plain socket is bound and closed to learn whether the port is free,
/// so a port another program (or another engine) holds is refused as before, never shared.
final class ListenerManager {
    private struct BindKey: Hashable {
        let address: IPAddress
        let port: Int
    }

    private final class Bound {
        /// One per event loop.
        let channels: [any Channel]
        let runtime: NIOLockedValueBox<ListenerRuntime>
        var name: String { runtime.withLockedValue { $0.listener.name } }

        init(channels: [any Channel], runtime: NIOLockedValueBox<ListenerRuntime>) {
            self.channels = channels
            self.runtime = runtime
        }

        func close() {
            for channel in channels { channel.close(promise: nil) }
        }
    }

    private let group: any EventLoopGroup
    private let services: EngineServices
    private let logger: Logger
    private var bound: [BindKey: Bound] = [:]

    init(group: any EventLoopGroup, services: EngineServices, logger: Logger) {
        self.group = group
        self.services = services
        self.logger = logger
    }

    /// Makes the bound sockets match `runtimes`; returns each listener's state for status.json.
    /// New sockets are bound before old ones close, and a listener whose new address or port
    /// cannot be bound keeps its old socket (and the runtime it had), so a commit that cannot
    /// be served never takes a working listener away.
    func apply(_ runtimes: [ListenerRuntime]) -> [EngineStatus.ListenerStatus] {
        var wanted: [BindKey: ListenerRuntime] = [:]
        for runtime in runtimes {
            wanted[BindKey(address: runtime.compiled.interface.address, port: runtime.listener.port)] = runtime
        }
        var statuses: [EngineStatus.ListenerStatus] = []
        var failed: Set<String> = []
        for runtime in runtimes {
            let key = BindKey(address: runtime.compiled.interface.address, port: runtime.listener.port)
            let status = { (state: EngineStatus.ListenerStatus.State, error: String?) in
                EngineStatus.ListenerStatus(name: runtime.listener.name, address: key.address.description, port: key.port,
                                            state: state, error: error)
            }
            if let existing = bound[key] {
                existing.runtime.withLockedValue { $0 = runtime }
                statuses.append(status(.listening, nil))
                continue
            }
            do {
                bound[key] = try bind(key, runtime: runtime)
                logger.info("listening", metadata: ["listener": "\(runtime.listener.name)", "address": "\(key.address)",
                                                    "port": "\(key.port)"])
                statuses.append(status(.listening, nil))
            } catch {
                var reason = ListenerManager.describe(error, address: key.address, port: key.port)
                if let (oldKey, _) = bound.first(where: { wanted[$0.key] == nil && $0.value.name == runtime.listener.name }) {
                    reason += "; still accepting on \(oldKey.address) port \(oldKey.port), its previous address"
                    failed.insert(runtime.listener.name)
                }
                logger.error("cannot bind", metadata: ["listener": "\(runtime.listener.name)", "error": "\(reason)"])
                statuses.append(status(.failed, reason))
            }
        }
        for (key, old) in bound where wanted[key] == nil && !failed.contains(old.name) {
            logger.info("listener stops accepting", metadata: ["address": "\(key.address)", "port": "\(key.port)"])
            old.close()
            bound[key] = nil
        }
        return statuses
    }

    /// A bind failure in words (`Could not listen on 192.0.2.1 port 25: Cannot assign requested
    /// address`), not NIO's errno dump.
    static func describe(_ error: any Error, address: IPAddress, port: Int) -> String {
        let reason: String
        if let io = error as? IOError {
            reason = String(cString: strerror(io.errnoCode))
                + (io.errnoCode == EADDRNOTAVAIL ? " (the address is not configured on this host)" : "")
        } else {
            reason = "\(error)"
        }
        return "Could not listen on \(address) port \(port): \(reason)"
    }

    private func bind(_ key: BindKey, runtime: ListenerRuntime) throws -> Bound {
        let box = NIOLockedValueBox(runtime)
        var port = key.port
        if port != 0 { try ListenerManager.checkFree(key) }
        var channels: [any Channel] = []
        do {
            for loop in group.makeIterator() {
                let channel = try bootstrap(on: loop, backlog: runtime.listener.tcpQueue, runtime: box)
                    .bind(host: key.address.description, port: port).wait()
                // Port 0 (tests): the first socket's port is the one the others share.
                if port == 0 { port = channel.localAddress?.port ?? 0 }
                channels.append(channel)
            }
        } catch {
            for channel in channels { try? channel.close().wait() }
            throw error
        }
        return Bound(channels: channels, runtime: box)
    }

    /// Binds (and closes) a plain socket on the address and port: SO_REUSEPORT alone would let
    /// our sockets join those of another program or engine of the same user that asked for it
    /// too, and each would then get a share of the connections. Throws the bind's error.
    private static func checkFree(_ key: BindKey) throws {
        let address = try SocketAddress(ipAddress: key.address.description, port: key.port)
        let fd = socket(key.address.isIPv4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        defer { close(fd) }
        var one: Int32 = 1
        // As the listening sockets do: a port whose old connections linger in TIME_WAIT is free.
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = address.withSockAddr { pointer, size in Glibc.bind(fd, pointer, socklen_t(size)) }
        guard rc == 0 else { throw IOError(errnoCode: errno, reason: "bind") }
    }

    private func bootstrap(on loop: any EventLoop, backlog: Int, runtime box: NIOLockedValueBox<ListenerRuntime>)
        -> ServerBootstrap
    {
        let services = self.services
        let logger = self.logger
        return ServerBootstrap(group: loop, childGroup: loop)
            .serverChannelOption(.backlog, value: Int32(backlog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
            // Set on the listening socket, every accepted one inherits it (Linux copies the
            // option at accept): no setsockopt per connection.
            .serverChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelOption(.writeBufferWaterMark, value: SMTPServerHandler.writeBufferWaterMark)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Out of descriptors, accept fails while the socket stays readable: pause a
                    // second instead of spinning, and count it for `status`.
                    try channel.pipeline.syncOperations.addHandler(AcceptBackoffHandler())
                    try channel.pipeline.syncOperations.addHandler(DescriptorShortageRecorder(
                        registry: services.registry, warn: { services.mailLog.write(level: "Warning", $0) }))
                }
            }
            .childChannelInitializer { channel in
                let current = box.withLockedValue { $0 }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(SMTPReplyEncoder()))
                    try channel.pipeline.syncOperations.addHandler(
                        SMTPServerHandler(runtime: current, services: services, logger: logger))
                }
            }
    }

    /// The port a listener actually got (tests bind port 0 through the configuration's port).
    func localPorts() -> [Int] {
        bound.values.compactMap { $0.channels.first?.localAddress?.port }
    }

    func closeAll() {
        for (_, b) in bound {
            for channel in b.channels { try? channel.close().wait() }
        }
        bound = [:]
    }
}
