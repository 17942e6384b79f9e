import Foundation

/// The test DNS responder (Tests/e2e/dnsresponder.py) as a child process serving `rules`.
public final class DNSResponder {
    private let process = Process()
    private let input = Pipe()
    /// `127.0.0.1:port`, for `DNSResolver.Options.servers`.
    public let server: String

    /// Starts it; `rules` is the JSON list the script documents.
    public init(_ rules: String) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/e2e/dnsresponder.py")
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, rules]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line += byte
        }
        server = "127.0.0.1:" + String(decoding: line, as: UTF8.self)
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
