import Foundation
import PosternConfig
import PosternStore
import PosternTestSupport
import Synchronization
import Testing
@testable import PosternWeb

@Suite struct PolicyFormTests {
    /// The fields a browser submits for a policy as the page drew it.
    private func submitted(_ listener: Listener, policy: String?, tls: String) -> [String: String] {
        var form: [String: String] = ["tls": tls, "auth": "off"]
        let parameters = listener.hostAccess.defaultParameters
        for field in PolicyForm.sections.flatMap(\.fields) {
            let value = field.get(parameters)
            form[field.key] = field.kind == .number ? String(value) : (value != 0 ? "yes" : "no")
            if policy != nil { form[field.key + "_mode"] = "default" }
        }
        return form
    }

    @Test func theSeedsChangeSetsTheDefaultPolicyToRequired() {
        var listener = FactoryDefaults.configuration.listeners[0]
        var overrides = PolicyOverrides()
        let before = listener.hostAccess.defaultParameters
        let problems = PolicyForm.apply(submitted(listener, policy: nil, tls: "required"), isDefault: true,
                                        parameters: &listener.hostAccess.defaultParameters, overrides: &overrides)
        #expect(problems.isEmpty)
        var expected = before
        expected.tls = .required
        #expect(listener.hostAccess.defaultParameters == expected)
    }

    @Test func verifyClientCertificateMakesTheVerifyLevels() {
        var listener = FactoryDefaults.configuration.listeners[0]
        var overrides = PolicyOverrides()
        var form = submitted(listener, policy: nil, tls: "preferred")
        form["tls_verify"] = "on"
        _ = PolicyForm.apply(form, isDefault: true, parameters: &listener.hostAccess.defaultParameters,
                             overrides: &overrides)
        #expect(listener.hostAccess.defaultParameters.tls == .preferredVerify)
    }

    @Test func useDefaultOnANamedPolicyClearsItsOverride() {
        var listener = FactoryDefaults.configuration.listeners[0]
        var overrides = listener.hostAccess.policy(named: "TRUSTED")!.overrides
        #expect(overrides.tls == .no && overrides.maxConcurrency == 600)
        var form = submitted(listener, policy: "TRUSTED", tls: "default")
        form["auth"] = "default"
        form["max_concurrency_mode"] = "custom"
        form["max_concurrency"] = "77"
        let problems = PolicyForm.apply(form, isDefault: false, parameters: &listener.hostAccess.defaultParameters,
                                        overrides: &overrides)
        #expect(problems.isEmpty)
        #expect(overrides.tls == nil && overrides.smtpAuth == nil && overrides.requireTLSForAuth == nil)
        // Leaving the checkbox as it was adds no override of its own.
        var throttled = listener.hostAccess.policy(named: "THROTTLED")!.overrides
        var tls = submitted(listener, policy: "THROTTLED", tls: "preferred")
        tls["auth"] = "default"
        _ = PolicyForm.apply(tls, isDefault: false, parameters: &listener.hostAccess.defaultParameters,
                             overrides: &throttled)
        #expect(throttled.tls == .preferred && throttled.requireTLSForAuth == nil)
        #expect(overrides.maxConcurrency == 77 && overrides.spamCheck == nil)
    }

    /// "TLS is Mandatory for Address List" is a setting now (issue 14 §6), not a placeholder:
    /// the page offers None and the lists; the form sets it, "default" inherits on a policy.
    @Test func tlsMandatoryForAnAddressList() {
        var listener = FactoryDefaults.configuration.listeners[0]
        var overrides = PolicyOverrides()
        var form = submitted(listener, policy: nil, tls: "preferred")
        form["tls_address_list"] = "PARTNERS"
        #expect(PolicyForm.apply(form, isDefault: true, parameters: &listener.hostAccess.defaultParameters,
                                 overrides: &overrides).isEmpty)
        #expect(listener.hostAccess.defaultParameters.tlsAddressList == "PARTNERS")
        form["tls_address_list"] = ""
        _ = PolicyForm.apply(form, isDefault: true, parameters: &listener.hostAccess.defaultParameters,
                             overrides: &overrides)
        #expect(listener.hostAccess.defaultParameters.tlsAddressList == nil)
        var trusted = listener.hostAccess.policy(named: "TRUSTED")!.overrides
        var named = submitted(listener, policy: "TRUSTED", tls: "preferred")
        named["auth"] = "default"
        named["tls_address_list"] = "default"
        trusted.tlsAddressList = "PARTNERS"
        _ = PolicyForm.apply(named, isDefault: false, parameters: &listener.hostAccess.defaultParameters,
                             overrides: &trusted)
        #expect(trusted.tlsAddressList == nil)
        let frame = PageFrame(title: "t", user: "admin", role: "Administrator", csrf: "c", hostname: "h",
                              pending: false, seesConfiguration: true, notice: nil)
        let page = PolicyPage.make(frame: frame, listener: listener, policyName: nil, readOnly: false,
                                   errors: [], addressLists: ["PARTNERS"])
        #expect(page.addressListChoices.map(\.label) == ["None", "PARTNERS"])
        #expect(page.addressListChoices.first?.checked == true)
    }

    @Test func badValuesAreNamedAndChangeNothing() {
        var listener = FactoryDefaults.configuration.listeners[0]
        let before = listener
        var overrides = PolicyOverrides()
        var form = submitted(listener, policy: nil, tls: "mandatory")
        form["max_concurrency"] = "lots"
        let problems = PolicyForm.apply(form, isDefault: true, parameters: &listener.hostAccess.defaultParameters,
                                        overrides: &overrides)
        #expect(problems.count == 2)
        #expect(problems.contains { $0.hasPrefix("Max. Concurrent Connections From a Single IP") })
        #expect(problems.contains { $0.hasPrefix("Use TLS") })
        #expect(listener == before)
    }
}

@Suite struct SessionTests {
    private func document() -> ConfigDocument {
        ConfigDocument(commit: CommitRecord(generation: 1, parent: 0, time: Date(timeIntervalSince1970: 0), user: "t",
                                            source: "local", comment: ""),
                       configuration: FactoryDefaults.configuration)
    }

    @Test func anIdleSessionEndsAndAnActiveOneLivesOn() throws {
        let clock = Mutex(Date(timeIntervalSince1970: 1000))
        let sessions = WebSessions(idleTimeout: 30 * 60, now: { clock.withLock { $0 } })
        let account = UserAccount(name: "web1", fullName: "", role: .administrator)
        let session = try sessions.open(account: account, address: "127.0.0.1", base: document())
        #expect(session.token.count == 64 && session.csrfToken.count == 64 && session.token != session.csrfToken)
        clock.withLock { $0 += 29 * 60 }
        #expect(sessions.resume(session.token) != nil)
        clock.withLock { $0 += 29 * 60 }  // 29 minutes since the last request: still alive
        #expect(sessions.resume(session.token) != nil)
        clock.withLock { $0 += 31 * 60 }
        #expect(sessions.resume(session.token) == nil)
        clock.withLock { $0 -= 31 * 60 }  // gone for good, even if the clock were read again earlier
        #expect(sessions.resume(session.token) == nil)
    }

    @Test func pendingChangesBelongToOneBrowser() throws {
        let sessions = WebSessions(idleTimeout: 60)
        let account = UserAccount(name: "web1", fullName: "", role: .administrator)
        let a = try sessions.open(account: account, address: "127.0.0.1", base: document())
        let b = try sessions.open(account: account, address: "127.0.0.1", base: document())
        sessions.update(a.token) { $0.pending.listeners[0].hostAccess.defaultParameters.tls = .required }
        #expect(sessions.resume(a.token)?.hasChanges == true)
        #expect(sessions.resume(b.token)?.hasChanges == false)
    }

    @Test func repeatedFailuresLockTheNameForAWhile() {
        var throttle = LoginThrottle(limit: 3, lockout: 600)
        let t0 = Date(timeIntervalSince1970: 0)
        let locks = (0..<3).map { _ in throttle.failed("admin", at: t0) }
        #expect(locks == [false, false, true])
        #expect(throttle.isLocked("admin", at: t0.addingTimeInterval(599)))
        #expect(!throttle.isLocked("web1", at: t0))
        #expect(!throttle.isLocked("admin", at: t0.addingTimeInterval(600)))
        throttle.succeeded("admin")
        let again = throttle.failed("admin", at: t0.addingTimeInterval(700))
        #expect(!again)
    }
}

@Suite struct LoginThrottleTests {
    @Test func aLockSurvivesARestartThroughTheHome() throws {
        let temporary = try TemporaryHome()
        defer { temporary.remove() }
        let t0 = Date()
        var throttle = LoginThrottle(limit: 2, lockout: 600)
        _ = throttle.failed("admin", at: t0)
        let locked = throttle.failed("admin", at: t0)
        #expect(locked)
        try throttle.save(temporary.home)
        var restarted = LoginThrottle(limit: 2, lockout: 600)
        restarted.load(temporary.home)
        #expect(restarted.isLocked("admin", at: t0.addingTimeInterval(1)))
        #expect(!restarted.isLocked("admin", at: t0.addingTimeInterval(601)))
    }

    @Test func aDamagedFileUnlocksRatherThanLockingEveryone() throws {
        let temporary = try TemporaryHome()
        defer { temporary.remove() }
        let url = LoginThrottle.file(temporary.home)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("{not json".utf8).write(to: url)
        var throttle = LoginThrottle()
        throttle.load(temporary.home)
        #expect(throttle.count == 0)
    }

    @Test func aFloodOfNamesStaysWithinCapacityAndKeepsLiveLocks() {
        var throttle = LoginThrottle(limit: 1, lockout: 600, capacity: 10)
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        let locked = throttle.failed("admin", at: t0)
        #expect(locked)
        var unlocking = LoginThrottle(limit: 3, lockout: 600, capacity: 10)
        _ = unlocking.failed("admin", at: t0)
        for index in 0..<500 {
            _ = throttle.failed("name\(index)", at: t0.addingTimeInterval(Double(index)))
            _ = unlocking.failed("name\(index)", at: t0.addingTimeInterval(Double(index)))
        }
        #expect(throttle.count == 10)
        #expect(unlocking.count == 10)
        // With limit 1 every name is a live lock: the oldest locks go, the newest stay.
        #expect(throttle.isLocked("name499", at: t0.addingTimeInterval(500)))
        // Unlocked counts are evicted oldest first.
        #expect(!unlocking.isCounting("admin"))
        #expect(unlocking.isCounting("name499"))
    }
}

@Suite struct FormTests {
    @Test func theMultipartBoundaryIsReadFromTheContentType() {
        #expect(Form.multipartBoundary("multipart/form-data; boundary=----abc123") == "----abc123")
        #expect(Form.multipartBoundary("application/x-www-form-urlencoded") == nil)
        #expect(Form.multipartBoundary(nil) == nil)
    }
}

@Suite struct RedirectHostTests {
    @Test func theBrowsersHostIsKeptWhenItIsAHostOrAnAddress() {
        #expect(WebServer.redirectHost("mail.example.com:8080", fallback: "127.0.0.1") == "mail.example.com")
        #expect(WebServer.redirectHost("127.0.0.1", fallback: "127.0.0.1") == "127.0.0.1")
        #expect(WebServer.redirectHost("[::1]:8080", fallback: "::1") == "[::1]")
    }

    @Test func aForgedHostFallsBackToTheInterfaceAddress() {
        for forged in ["evil.example/phish?", "evil.example#", "user@evil.example", "evil example", "[evil]:80",
                       "evil.example:80/x", ""] {
            #expect(WebServer.redirectHost(forged, fallback: "127.0.0.1") == "127.0.0.1", "\(forged)")
        }
        #expect(WebServer.redirectHost(nil, fallback: "::1") == "[::1]")
    }
}
