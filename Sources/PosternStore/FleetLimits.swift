import Foundation
import PosternConfig

/// A document is one etcd value, written once per txn; etcd refuses requests over 1.5 MiB
/// (`--max-request-bytes`) and the gateway's base64 makes a value a third larger, so a
/// generation is kept under this many bytes of JSON. Here, not in PosternFleet, because
/// `commitcheck` in the CLI (which links no NIO) refuses the same configurations `commit` does.
public enum FleetLimits {
    public static let maximumDocumentBytes = 1_000_000
    /// What a generation holds besides the configuration: the commit record (with its comment),
    /// the commit id, the machine's name.
    public static let envelopeBytes = 16_384

    /// The problem with a configuration too large to be a fleet's generation, or nil. A commit's
    /// txn carries the certificate files the configuration names too, so with a home their
    /// bytes count: `commitcheck` then refuses exactly what `commit` would.
    public static func sizeProblem(of configuration: Configuration, home: Home? = nil) -> ConfigProblem? {
        guard let bytes = try? CanonicalJSON.encode(configuration).count else { return nil }
        let files = home.map { home in
            Set(certificateFileNames(configuration)).reduce(0) { total, name in
                let size = try? FileManager.default.attributesOfItem(atPath: home.certificateFile(name).path)[.size]
                return total + ((size as? Int) ?? 0)
            }
        } ?? 0
        return sizeProblem(bytes + envelopeBytes + files)
    }

    /// The files in certs/ the configuration's certificate profiles name: a fleet's commit carries them.
    public static func certificateFileNames(_ configuration: Configuration) -> [String] {
        configuration.certificates.flatMap { [$0.certificateFile, $0.keyFile] + ($0.chainFile.map { [$0] } ?? []) }
    }

    /// The problem with a generation of `bytes` (configuration and commit record), or nil.
    public static func sizeProblem(_ bytes: Int) -> ConfigProblem? {
        guard bytes > maximumDocumentBytes else { return nil }
        return ConfigProblem(
            path: "configuration",
            message: "The configuration is \(bytes) bytes with its commit record; in a fleet each generation is one "
                + "etcd value of at most \(maximumDocumentBytes) bytes (etcd refuses requests over 1.5 MiB). Shrink the "
                + "largest tables (HAT sender groups, RAT entries) or run this machine standalone.")
    }
}
