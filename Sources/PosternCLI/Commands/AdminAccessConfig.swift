import PosternConfig

/// `adminaccessconfig` TIMEOUT: the inactivity timeouts of the web interface and the CLI
/// (AsyncOS: 30 minutes each by default). Staged like every change; posternweb applies the
/// web timeout when the commit lands.
struct AdminAccessConfigCommand: CLICommand {
    let name = "adminaccessconfig"
    let summary = "Configure network access to the system: the web and CLI inactivity timeouts."
    let usage = """
        adminaccessconfig
            Shows the timeouts; TIMEOUT edits them.
        adminaccessconfig timeout --web=<minutes> --cli=<minutes>
            Minutes of inactivity (5 to 1440) before the web interface or the CLI signs a user out.
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        while true {
            let settings = context.configuration.adminAccessSettings
            dialog.show("\nWeb UI inactivity timeout: \(settings.webTimeoutMinutes) minutes"
                + "\nCLI inactivity timeout: \(settings.cliTimeoutMinutes) minutes")
            guard let operation = try dialog.menu([
                MenuItem("TIMEOUT", "Configure GUI and CLI session inactivity timeout."),
            ]) else { return .ok }
            if operation == "TIMEOUT" {
                let range = AdminAccessSettings.timeoutRange
                var changed = settings
                changed.webTimeoutMinutes = try dialog.number("Enter WebUI inactivity timeout (in minutes):",
                                                              default: settings.webTimeoutMinutes, range: range,
                                                              key: "web")
                changed.cliTimeoutMinutes = try dialog.number("Enter CLI inactivity timeout (in minutes):",
                                                              default: settings.cliTimeoutMinutes, range: range,
                                                              key: "cli")
                context.configuration.adminAccessSettings = changed
            }
        }
    }
}
