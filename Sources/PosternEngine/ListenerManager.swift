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
final class ListenerManager {
    private struct BindKey: Hashable {
        let address: IPAddress
        let port: Int
    }

    private final class Bound {
        let channel: any Channel
        let runtime: NIOLockedValueBox<ListenerRuntime>
        var name: String { runtime.withLockedValue { $0.listener.name } }

        init(channel: any Channel, runtime: NIOLockedValueBox<ListenerRuntime>) {
            self.channel = channel
            self.runtime = runtime
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
            old.channel.close(promise: nil)
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
        let services = self.services
        let logger = self.logger
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Int32(runtime.listener.tcpQueue))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Set on the listening socket, every accepted one inherits it (Linux copies the
            // option at accept): no setsockopt per connection.
            .serverChannelOption(.tcpOption(.tcp_nodelay), value: 1)
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
                    // Set here, not as the bootstrap's child options, which it applies through
                    // a chain of futures per connection.
                    if let options = channel.syncOptions {
                        try options.setOption(.maxMessagesPerRead, value: 4)
                        try options.setOption(.writeBufferWaterMark, value: SMTPServerHandler.writeBufferWaterMark)
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        SMTPServerHandler(runtime: current, services: services, logger: logger))
                }
            }
        let channel = try bootstrap.bind(host: key.address.description, port: key.port).wait()
        return Bound(channel: channel, runtime: box)
    }

    /// The port a listener actually got (tests bind port 0 through the configuration's port).
    func localPorts() -> [Int] {
        bound.values.compactMap { $0.channel.localAddress?.port }
    }

    func closeAll() {
        for (_, b) in bound { try? b.channel.close().wait() }
        bound = [:]
    }
}
