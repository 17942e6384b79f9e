import Foundation
import NIOConcurrencyHelpers
import NIOCore
import PosternConfig
import PosternControl
import PosternStore

/// Every open connection, across event loops: the counts the limits need (per IP, per
/// listener, overall), the sessions per generation (the drain report), the counters of
/// `status.json`, and the channels to tell when the engine stops.
final class ConnectionRegistry: Sendable {
    private struct State {
        var perIP: [IPAddress: Int] = [:]
        var perListener: [String: Int] = [:]
        var total = 0
        var perGeneration: [Int: Int] = [:]
        var channels: [ObjectIdentifier: any Channel] = [:]
        var counters = EngineStatus.Counters()
        var lastDrained: [Int: Date] = [:]
        var tlsOpen = 0
    }

    private let state = NIOLockedValueBox(State())
    /// Connections the file-descriptor limit leaves room for (`DescriptorLimit.connectionBudget`).
    let descriptorBudget: Int

    init(descriptorBudget: Int = DescriptorLimit.connectionBudget()) {
        self.descriptorBudget = descriptorBudget
    }

    enum Admission: Equatable {
        case admitted
        case overallLimit
        case listenerLimit
    }

    /// A new TCP connection on `listener`; counted only when admitted.
    func open(channel: any Channel, listener: String, listenerLimit: Int, overallLimit: Int, generation: Int) -> Admission {
        state.withLockedValue { s in
            guard s.total < overallLimit else {
                s.counters.connectionsRefused += 1
                return .overallLimit
            }
            // Past the descriptor budget the engine could not open its queue, logs or status
            // file; the client gets the same answer as at the overall limit.
            guard s.total < descriptorBudget else {
                s.counters.connectionsRefused += 1
                s.counters.connectionsRefusedForDescriptors += 1
                return .overallLimit
            }
            guard s.perListener[listener, default: 0] < listenerLimit else {
                s.counters.connectionsRefused += 1
                return .listenerLimit
            }
            s.total += 1
            s.perListener[listener, default: 0] += 1
            s.perGeneration[generation, default: 0] += 1
            s.channels[ObjectIdentifier(channel)] = channel
            s.counters.connectionsAccepted += 1
            s.counters.connectionsOpen = s.total
            return .admitted
        }
    }

    /// Counts the connection against its IP once the policy (and its per-IP limit) is known.
    func admitIP(_ address: IPAddress, limit: Int) -> Bool {
        state.withLockedValue { s in
            guard s.perIP[address, default: 0] < limit else {
                s.counters.connectionsRefused += 1
                return false
            }
            s.perIP[address, default: 0] += 1
            return true
        }
    }

    func close(channel: any Channel, listener: String, generation: Int, countedIP: IPAddress?) {
        state.withLockedValue { s in
            guard s.channels.removeValue(forKey: ObjectIdentifier(channel)) != nil else { return }
            s.total -= 1
            s.perListener[listener, default: 1] -= 1
            if s.perListener[listener] == 0 { s.perListener[listener] = nil }
            s.perGeneration[generation, default: 1] -= 1
            if s.perGeneration[generation] == 0 {
                s.perGeneration[generation] = nil
                s.lastDrained[generation] = Date()
            }
            if let ip = countedIP {
                s.perIP[ip, default: 1] -= 1
                if s.perIP[ip] == 0 { s.perIP[ip] = nil }
            }
            s.counters.connectionsOpen = s.total
        }
    }

    /// One more TLS connection, unless `limit` are open across all listeners.
    func acquireTLS(limit: Int) -> Bool {
        state.withLockedValue { s in
            guard s.tlsOpen < limit else { return false }
            s.tlsOpen += 1
            return true
        }
    }

    func releaseTLS() {
        state.withLockedValue { $0.tlsOpen = max(0, $0.tlsOpen - 1) }
    }

    var tlsOpen: Int { state.withLockedValue { $0.tlsOpen } }

    func count(_ update: @Sendable (inout EngineStatus.Counters) -> Void) {
        state.withLockedValue { update(&$0.counters) }
    }

    var counters: EngineStatus.Counters { state.withLockedValue { $0.counters } }
    var openCount: Int { state.withLockedValue { $0.total } }
    var sessionsByGeneration: [Int: Int] { state.withLockedValue { $0.perGeneration } }
    var channels: [any Channel] { state.withLockedValue { Array($0.channels.values) } }
    var drained: [Int: Date] { state.withLockedValue { $0.lastDrained } }
}
