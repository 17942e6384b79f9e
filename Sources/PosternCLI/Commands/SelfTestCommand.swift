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
            Connects to every listener of the committed configuration from 127.0.0.1, in the clear
            and with STARTTLS, and prints each check with its RFC clause: PASS or FAIL.
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
        for listener in report.listeners {
            dialog.say("Listener \(listener.name) (\(listener.address) port \(listener.port)), from 127.0.0.1: "
                + "\(listener.group), \(listener.policy), TLS \(listener.tls)")
            for check in listener.checks {
                let detail = check.detail.isEmpty ? "" : ": \(check.detail)"
                dialog.say("  \(check.passed ? "PASS" : "FAIL")  \(check.name) (\(check.clause))\(detail)")
            }
            dialog.say("")
        }
        let total = report.listeners.reduce(0) { $0 + $1.checks.count }
        dialog.say("\(total) check(s), \(report.failures) failed.")
        return report.failures == 0 ? .ok : .failed
    }
}
