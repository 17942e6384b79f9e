import Foundation
import Testing
@testable import PosternConfig

/// `listenerSettings.reverseDNSTimeout` (issue 12 §3): AsyncOS's reverse-DNS lookup timeout.
@Suite struct ListenerSettingsTests {
    @Test func aConfigurationFromBeforeTheSettingLoadsWithTheAsyncOSDefault() throws {
        var tree = try JSONSerialization.jsonObject(with: CanonicalJSON.encode(FactoryDefaults.configuration))
            as! [String: Any]
        var settings = tree["listenerSettings"] as! [String: Any]
        #expect(settings.removeValue(forKey: "reverseDNSTimeout") as? Int == 20)
        tree["listenerSettings"] = settings
        let old = try JSONSerialization.data(withJSONObject: tree)
        #expect(try CanonicalJSON.decode(Configuration.self, from: old).listenerSettings.reverseDNSTimeout == 20)
    }

    @Test(arguments: [(0, true), (20, true), (3_600, true), (-1, false), (3_601, false)])
    func theTimeoutIsValidatedWithItsPath(seconds: Int, valid: Bool) {
        var configuration = FactoryDefaults.configuration
        configuration.listenerSettings.reverseDNSTimeout = seconds
        let problems = configuration.validate().map(\.description)
        #expect(problems.contains { $0.contains("listenerSettings.reverseDNSTimeout") } == !valid, "\(problems)")
    }
}
