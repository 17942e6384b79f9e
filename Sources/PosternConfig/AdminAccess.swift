/// `adminaccessconfig` TIMEOUT: how long a signed-in administrator may stay idle before the
/// appliance signs them out, in the web interface and in the CLI. AsyncOS's default is 30
/// minutes for each; posternweb applies the web value at the commit that changes it.
public struct AdminAccessSettings: Codable, Hashable, Sendable {
    public static let factoryTimeoutMinutes = 30
    /// AsyncOS accepts 5 minutes to a day.
    public static let timeoutRange = 5...1440

    public var webTimeoutMinutes: Int
    public var cliTimeoutMinutes: Int

    public init(webTimeoutMinutes: Int = factoryTimeoutMinutes, cliTimeoutMinutes: Int = factoryTimeoutMinutes) {
        self.webTimeoutMinutes = webTimeoutMinutes
        self.cliTimeoutMinutes = cliTimeoutMinutes
    }
}

extension Configuration {
    /// The admin access settings, with the factory ones when none were ever set.
    public var adminAccessSettings: AdminAccessSettings {
        get { adminAccess ?? AdminAccessSettings() }
        set { adminAccess = newValue }
    }
}
