import Foundation
import PosternConfig

/// What stays per machine: in AsyncOS terms the machine level overrides the cluster level.
/// Interfaces, listener addresses and the hostname; everything else is the fleet's. Stored in
/// etcd under `machines/<name>/overrides`; here (not in PosternFleet) so that `clusterconfig`
/// can show and edit it.
public struct MachineOverrides: Codable, Hashable, Sendable {
    public struct Address: Codable, Hashable, Sendable {
        public var interface: String
        public var port: Int
        public init(interface: String, port: Int) {
            self.interface = interface
            self.port = port
        }
    }
    public var hostname: String
    public var interfaces: [IPInterface]
    /// Per listener name.
    public var listeners: [String: Address]

    public init(hostname: String, interfaces: [IPInterface], listeners: [String: Address]) {
        self.hostname = hostname
        self.interfaces = interfaces
        self.listeners = listeners
    }

    /// This machine's own part of a configuration.
    public init(of configuration: Configuration) {
        hostname = configuration.hostname
        interfaces = configuration.interfaces
        listeners = Dictionary(
            configuration.listeners.map { ($0.name, Address(interface: $0.interface, port: $0.port)) },
            uniquingKeysWith: { first, _ in first })
    }

    /// The fleet's configuration with this machine's settings in place of the committer's.
    /// A listener the machine has no address for keeps the fleet's.
    public func applied(to configuration: Configuration) -> Configuration {
        var merged = configuration
        merged.hostname = hostname
        merged.interfaces = interfaces
        for index in merged.listeners.indices {
            if let address = listeners[merged.listeners[index].name] {
                merged.listeners[index].interface = address.interface
                merged.listeners[index].port = address.port
            }
        }
        return merged
    }
}
