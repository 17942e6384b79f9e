import Foundation
import PosternConfig
import PosternStore

/// `selftest`: the live listeners checked from loopback by the engine's own client
/// (`posternd --selftest`), a pass/fail list with the clause each check holds them to.
struct SelfTestCommand: CLICommand {
    let name = "selftest"
    let summary = "Check the live listeners from loopback against RFC 3207 and their policies."
    let stagesChanges = false
    let usage = """
        selftest
            Connects to every listener of the committed configuration from loopback, once per
            sender group a loopback address can stand for (127.0.0.0/8; ::1 on IPv6), in the
            clear and with STARTTLS, and prints each check with its RFC clause: PASS or FAIL.
            A group no loopback address falls in is listed with the reason it was skipped.
        selftest --json
            The same findings as JSON, for monitoring. Exit status 1 when a check failed.
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        let json = dialog.takeFlag("json")
        try dialog.finish()
        let process = Process()
        process.executableURL = DryRun.engineExecutable()
        process.arguments = ["--home", context.home.root.path, "--selftest"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let data: Data
        do {
            try process.run()
            data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
        } catch {
            dialog.error("The self-test could not run: \(error)")
            return .failed
        }
        guard let report = try? SelfTestReport.decode(data) else {
            dialog.error("The self-test could not run: posternd --selftest exited with status \(process.terminationStatus).")
            return .failed
        }
        if json {
            dialog.say(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            return report.failures == 0 ? .ok : .failed
        }
        for problem in report.problems { dialog.error(problem) }
        for listener in report.listeners { render(listener, dialog: dialog) }
        let total = report.listeners.reduce(0) { $0 + $1.checks.count }
        dialog.say("\(total) check(s), \(report.failures) failed.")
        return report.failures == 0 ? .ok : .failed
    }

    /// Per sender group its source and checks (or why it was skipped), then the listener's own.
    func render(_ listener: SelfTestReport.Listener, dialog: Dialog) {
        func say(_ check: SelfTestReport.Check) {
            let detail = check.detail.isEmpty ? "" : ": \(check.detail)"
            dialog.say("    \(check.passed ? "PASS" : "FAIL")  \(check.name) (\(check.clause))\(detail)")
        }
        dialog.say("Listener \(listener.name) (\(listener.address) port \(listener.port)):")
        for group in listener.groups {
            guard let source = group.source else {
                dialog.say("  \(group.name): not checked: \(group.skipped ?? "?").")
                continue
            }
            dialog.say("  \(group.name), from \(source): \(group.policy ?? "?"), TLS \(group.tls ?? "?")")
            for check in listener.checks where check.group == group.name { say(check) }
        }
        let whole = listener.checks.filter { $0.group == nil }
        if let skipped = listener.tlsSkipped {
            dialog.say("  The listener's TLS: not checked: \(skipped).")
        } else if !whole.isEmpty {
            dialog.say("  The listener's TLS:")
        }
        whole.forEach(say)
        dialog.say("")
    }
}
