import Foundation
import PosternConfig
import PosternRuntime
import PosternStore

/// `commit --dry-run` and `commitcheck --probe`: the engine serves the pending configuration
/// and then the committed one on loopback (`posternd --probe`, its own temporary home; the
/// live engine is untouched), each listener is probed once per sender group, and what the
/// probes met is printed with what changes for whom. The CLI never links the engine: it
/// runs `posternd` and reads its JSON.
enum DryRun {
    /// Prints the findings; true when nothing was wrong (no problem, no warning).
    static func run(_ context: CommandContext) -> Bool {
        let dialog = context.dialog
        let problems = CompiledConfiguration.check(context.configuration, home: context.home)
        guard problems.isEmpty else {
            for problem in problems { dialog.error(problem.description) }
            return false
        }
        dialog.show("Serving the pending configuration on loopback and probing each listener and sender group...")
        let candidate: ProbeReport
        let committed: ProbeReport
        // What is committed now, which another admin may have changed since this session began.
        let current = (try? context.session.store.load()) ?? context.session.base
        do {
            candidate = try probe(context.configuration, home: context.home)
            committed = try probe(current.configuration, home: context.home)
        } catch {
            dialog.error("The probe could not run: \(error)")
            return false
        }
        guard candidate.problems.isEmpty else {
            for problem in candidate.problems { dialog.error(problem) }
            return false
        }
        for listener in candidate.listeners { render(listener, dialog: dialog) }
        let changes = candidate.changes(from: committed)
        dialog.say("Changes against the committed configuration (generation \(current.commit.generation)):")
        dialog.say(changes.isEmpty ? "    None that a sender can see." : changes.map { "    " + $0 }.joined(separator: "\n"))
        dialog.say("")
        for warning in candidate.warnings { dialog.error("Warning: \(warning)") }
        let note = String(format: "%.1f", candidate.seconds + committed.seconds)
        dialog.say("Probed \(candidate.listeners.count) listener(s) in \(note) seconds; \(candidate.warnings.count) "
            + "warning(s).")
        return candidate.warnings.isEmpty
    }

    static func render(_ listener: ProbeListener, dialog: Dialog) {
        dialog.say("Listener \(listener.name) (\(listener.address) port \(listener.port)):")
        for group in listener.groups {
            dialog.say("  \(group.name) (\(group.entries)): \(group.action), \(group.behavior), TLS \(group.tls ?? "?")")
            if let skipped = group.skipped {
                dialog.say("      Not probed: \(skipped).")
                continue
            }
            if let plain = group.plaintext {
                if let refused = plain.refused {
                    dialog.say("      Connection: \(refused)")
                    continue
                }
                dialog.say("      STARTTLS offered:       \(plain.startTLSOffered ? "Yes" : "No")")
                dialog.say("      Answer in the clear:    \(plain.mailReply ?? "(no reply)")")
            }
            guard let tls = group.tlsClient, tls.refused == nil, tls.startTLSOffered else { continue }
            if let failure = tls.handshakeFailure {
                // Only Required - Verify refuses a client for want of a certificate.
                dialog.say(group.tls == TLSLevel.requiredVerify.label
                    ? "      Client without a certificate: refused (\(failure))"
                    : "      TLS handshake:          failed (\(failure))")
                continue
            }
            dialog.say("      TLS negotiated:         \(tls.tlsProtocol ?? "?") \(tls.cipher ?? "")")
            if let subject = tls.certificateSubject {
                let expiry = tls.certificateNotAfter.map { ", expires \(ProbeReport.day($0))" } ?? ""
                dialog.say("      Certificate:            \(subject)\(expiry)")
            }
            dialog.say("      Answer after STARTTLS:  \(tls.mailReply ?? "(no reply)")")
        }
        dialog.say("")
    }

    /// Runs `posternd --probe` on `configuration` and decodes what it prints.
    static func probe(_ configuration: Configuration, home: Home) throws -> ProbeReport {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("postern-probe-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try JSONCoding.compact.encode(configuration).write(to: file, options: [.atomic])
        let process = Process()
        process.executableURL = engineExecutable()
        process.arguments = ["--home", home.root.path, "--probe", file.path]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read before waiting: a large report would otherwise fill the pipe and stall the engine.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ProbeFailure("posternd --probe exited with status \(process.terminationStatus): "
                               + (String(data: stderr, encoding: .utf8) ?? ""))
        }
        return try ProbeReport.decode(data)
    }

    /// `posternd` beside this program, else on PATH; `POSTERND` names another.
    static func engineExecutable() -> URL {
        if let explicit = ProcessInfo.processInfo.environment["POSTERND"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        let me = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath()
        let beside = me.deletingLastPathComponent().appendingPathComponent("posternd")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("posternd")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return beside
    }

    struct ProbeFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
