import Foundation
import Logging
import PosternFleet
import PosternTestSupport

/// Real etcd members on loopback ports picked at start, in a temporary directory; the
/// fleet tests run against them (no mock). Stopped and removed by `stop()`.
final class EtcdCluster: @unchecked Sendable {
    // @unchecked: used from one test at a time; processes are only started and killed.
    let directory: URL
    let clientURLs: [String]
    private(set) var processes: [Process] = []

    /// PEM files for a member that speaks TLS and wants a client certificate signed by `ca`.
    struct TLSFiles {
        var ca: String
        var certificate: String
        var key: String
    }

    init(members: Int = 1, tls: TLSFiles? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("postern-etcd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ports = (0..<(members * 2)).map { _ in freePort() }
        let scheme = tls == nil ? "http" : "https"
        clientURLs = (0..<members).map { "\(scheme)://127.0.0.1:\(ports[$0 * 2])" }
        let peers = (0..<members).map { "m\($0)=http://127.0.0.1:\(ports[$0 * 2 + 1])" }.joined(separator: ",")
        for member in 0..<members {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/etcd")
            process.arguments = [
                "--name", "m\(member)", "--data-dir", directory.appendingPathComponent("m\(member)").path,
                "--listen-client-urls", clientURLs[member], "--advertise-client-urls", clientURLs[member],
                "--listen-peer-urls", "http://127.0.0.1:\(ports[member * 2 + 1])",
                "--initial-advertise-peer-urls", "http://127.0.0.1:\(ports[member * 2 + 1])",
                "--initial-cluster", peers, "--initial-cluster-token", directory.lastPathComponent,
            ]
            if let tls {
                process.arguments! += ["--cert-file", tls.certificate, "--key-file", tls.key,
                                       "--trusted-ca-file", tls.ca, "--client-cert-auth"]
            }
            let log = directory.appendingPathComponent("m\(member).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            processes.append(process)
        }
    }

    /// One member, started, and a client (made by `configure` from the member's URLs) that has
    /// seen it elect itself. A port picked free can be taken by a parallel test before etcd binds
    /// it; then etcd exits and this starts again on new ports.
    static func started(
        tls: TLSFiles? = nil, configure: (inout EtcdSettings) -> Void = { _ in }
    ) async throws -> (EtcdCluster, EtcdClient) {
        var attempt = 0
        while true {
            attempt += 1
            let cluster = try EtcdCluster(tls: tls)
            do {
                var settings = EtcdSettings(endpoints: cluster.clientURLs)
                configure(&settings)
                let client = try EtcdClient(settings: settings, logger: Logger(label: "test"))
                try await cluster.ready(client)
                return (cluster, client)
            } catch {
                let exited = cluster.processes.contains { !$0.isRunning }
                cluster.stop()
                if !exited || attempt == 3 { throw error }
            }
        }
    }

    /// Waits until a put goes through (a leader is elected). Generous: the whole Swift suite
    /// runs in parallel on two cores, and three members with TLS can take long to elect.
    func ready(_ client: EtcdClient) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(90)
        while true {
            do {
                _ = try await client.put(PutRequest(key: Data("/ready".utf8), value: Data("1".utf8)))
                return
            } catch {
                if clock.now > deadline || processes.contains(where: { !$0.isRunning }) { throw error }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    func client(_ endpoints: [String]? = nil) throws -> EtcdClient {
        try EtcdClient(settings: EtcdSettings(endpoints: endpoints ?? clientURLs), logger: Logger(label: "test"))
    }

    /// etcdctl against the first member; true when it exited 0.
    @discardableResult
    func etcdctl(_ arguments: String...) throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/etcdctl")
        process.arguments = ["--endpoints=\(clientURLs[0])"] + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    func signal(_ member: Int, _ number: Int32) { kill(processes[member].processIdentifier, number) }

    func stop() {
        for process in processes where process.isRunning {
            kill(process.processIdentifier, SIGCONT)
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}


/// EtcdFleetService blocks its thread until its async work ends (it is the CLI's synchronous
/// side). An async test runs it on a thread of its own: on Swift's cooperative pool (two threads
/// on a 2-core machine) two such tests at once would wait on each other forever.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
