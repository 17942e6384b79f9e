import Foundation
import Logging
import PosternFleet
import Testing

/// etcd with TLS and client-certificate authentication (`--client-cert-auth`), with a CA and
/// certificates made by the openssl command at test time; no key is committed.
@Suite("etcd over TLS with a client certificate")
struct EtcdTLSTests {
    /// `openssl` with arguments, in `directory`; throws on a non-zero exit.
    static func openssl(_ directory: URL, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw POSIXError(.EINVAL) }
    }

    /// ca.pem, server.pem/server.key (IP 127.0.0.1), client.pem/client.key.
    static func makePKI() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("postern-etcd-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try openssl(directory, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                                "-days", "2", "-subj", "/CN=Test etcd CA"])
        for (name, extensions) in [("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth"),
                                   ("client", "extendedKeyUsage=clientAuth")] {
            try openssl(directory, ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name).key", "-out", "\(name).csr",
                                    "-subj", "/CN=\(name)"])
            try Data(extensions.utf8).write(to: directory.appendingPathComponent("\(name).ext"))
            try openssl(directory, ["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                                    "-CAcreateserial", "-days", "2", "-out", "\(name).pem", "-extfile", "\(name).ext"])
        }
        return directory
    }

    @Test("with the CA and a client certificate the client works; without the certificate etcd refuses")
    func clientCertificate() async throws {
        let pki = try Self.makePKI()
        defer { try? FileManager.default.removeItem(at: pki) }
        let ca = pki.appendingPathComponent("ca.pem").path
        let (cluster, client) = try await EtcdCluster.started(
            tls: .init(ca: ca, certificate: pki.appendingPathComponent("server.pem").path,
                       key: pki.appendingPathComponent("server.key").path)
        ) { settings in
            settings.caFile = ca
            settings.certificateFile = pki.appendingPathComponent("client.pem").path
            settings.keyFile = pki.appendingPathComponent("client.key").path
        }
        defer { cluster.stop() }
        let settings = client.settings
        #expect(try await client.range(RangeRequest(key: Data("/ready".utf8))).kvs.count == 1)

        var anonymous = settings
        anonymous.certificateFile = nil
        anonymous.keyFile = nil
        let refused = try EtcdClient(settings: anonymous, logger: Logger(label: "test"))
        do {
            _ = try await refused.range(RangeRequest(key: Data("/ready".utf8)))
            Issue.record("etcd answered a client without a certificate")
        } catch let error as EtcdError {
            #expect(error.isUnreachable)
        }
    }
}
