import Foundation
import PosternConfig
import PosternSpool
import PosternStore

/// Certificate files travel with the configuration: a profile made on gw1 (certconfig) is served
/// on gw2. Each file is one etcd value under `certs/<sha256>` (the same bytes are stored once),
/// written in the commit's txn; a member writes the files it lacks (or holds with other bytes) to
/// its certs/ with the private keys' permissions, each checked against its digest, before it
/// checks the generation.
enum FleetFiles {
    /// The files the configuration's certificate profiles name, read from this machine's certs/.
    static func collect(_ configuration: Configuration, home: Home) throws(StoreError) -> [String: Data] {
        var files: [String: Data] = [:]
        for profile in configuration.certificates {
            var one = configuration
            one.certificates = [profile]
            for name in FleetLimits.certificateFileNames(one) {
                guard let data = FileManager.default.contents(atPath: home.certificateFile(name).path) else {
                    throw StoreError.invalid(ConfigProblems([ConfigProblem(
                        path: "certificates[\(profile.name)]", message: "The file certs/\(name) cannot be read.")]))
                }
                files[name] = data
            }
        }
        return files
    }

    /// Writes the files this machine lacks or holds with other bytes; a reason for each one that
    /// cannot be had intact.
    static func fetchMissing(_ files: [String: String], store: FleetStore, home: Home) async throws -> [String] {
        var problems: [String] = []
        for name in files.keys.sorted() {
            let digest = files[name]!
            guard !name.contains("/"), !name.hasPrefix(".") else {
                problems.append("the fleet names a certificate file \(name), which is not a name in certs/")
                continue
            }
            let url = home.certificateFile(name)
            // Certificates are the fleet's: a local file of the same name with other bytes (each
            // machine's own demo certificate, say) is replaced, by an atomic rename.
            if let local = FileManager.default.contents(atPath: url.path), FleetStore.sha256(local) == digest { continue }
            guard let value = try await store.client.range(RangeRequest(key: store.keys.file(sha256: digest))).kvs.first?.value,
                FleetStore.sha256(value) == digest
            else {
                problems.append("etcd does not hold certs/\(name) (SHA-256 \(digest)) intact")
                continue
            }
            do {
                try FileManager.default.createDirectory(at: home.certsDirectory, withIntermediateDirectories: true)
                try DurableFile.write(value, to: url, mode: Home.privateKeyMode)
            } catch {
                problems.append("cannot write certs/\(name): \(error)")
            }
        }
        return problems
    }
}
