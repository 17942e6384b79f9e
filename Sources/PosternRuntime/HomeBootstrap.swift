import Foundation
import PosternConfig
import PosternSpool
import PosternStore
import PosternTLS

/// Makes a home usable: the directories, and when there is no configuration yet, the
/// factory configuration (generation 1) and a freshly generated self-signed demo certificate.
/// Either process calls it first, so `posternd --home $(mktemp -d)` just works.
public enum HomeBootstrap {
    /// Returns true when it created the factory configuration.
    @discardableResult
    public static func prepare(_ home: Home) throws(StoreError) -> Bool {
        let fm = FileManager.default
        // Group-accessible, nothing for others: admin accounts share the home through a
        // group (scripts/admin-user); a home used by one account is private to it.
        for directory in [home.root, home.configDirectory, home.historyDirectory, home.certsDirectory,
                          home.runDirectory, home.sessionsDirectory, home.queueDirectory, home.logsDirectory,
                          home.cliHistoryDirectory] {
            do {
                // Keeps the set-group-ID bit of a home shared by a group (Docs/ssh.md).
                try SharedDirectory.create(directory)
            } catch {
                throw StoreError.io("\(error)")
            }
        }
        // Factory defaults belong to a home with no history only. A home that has committed
        // before and lost (or cannot read) current.json is damaged: loading it says so and
        // `recoverconfig` takes the newest readable generation; it is never reset in silence.
        let store = ConfigStore(home: home)
        func untouched() -> Bool {
            var info = stat()
            return lstat(home.currentFile.path, &info) != 0 && errno == ENOENT && store.historyGenerations().isEmpty
                && !fm.fileExists(atPath: home.commitsLog.path)
        }
        guard untouched() else { return false }
        return try store.withLock { () throws(StoreError) -> Bool in
            guard untouched() else { return false }  // the other process won
            let configuration = FactoryDefaults.configuration
            try writeDemoCertificate(home, profile: configuration.certificates[0], hostname: configuration.hostname)
            let record = CommitRecord(generation: 1, parent: 0, time: Date(), user: "system", source: "local",
                                      comment: "Factory configuration")
            try store.write(ConfigDocument(commit: record, configuration: configuration))
            return true
        }
    }

    /// A self-signed RSA-2048 certificate for the appliance hostname and localhost: TLS
    /// works with it, but no peer can verify it (asyncos-cli.md §5.1).
    static func writeDemoCertificate(_ home: Home, profile: CertificateProfile, hostname: String) throws(StoreError) {
        do {
            let demo = try CertificateBuilder.make(
                subject: CertificateSubject(commonName: hostname, organization: "Postern demo certificate"),
                dnsNames: [hostname, "localhost"], days: 3650)
            try DurableFile.write(Data(demo.key.pem.utf8), to: home.certificateFile(profile.keyFile), mode: Home.privateKeyMode)
            try DurableFile.write(Data(demo.certificate.pem.utf8), to: home.certificateFile(profile.certificateFile))
        } catch let error as TLSError {
            throw StoreError.io("demo certificate: \(error)")
        } catch {
            throw StoreError.io("demo certificate: \(error)")
        }
    }
}
