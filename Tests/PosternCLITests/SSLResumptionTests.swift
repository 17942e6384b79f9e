import Foundation
import PosternConfig
import PosternStore
import PosternTestSupport
import Testing

/// `sslconfig` shows and edits session resumption per service (issue 16 §3), through the one
/// validation path the engine's commit runs too.
@Suite struct SSLResumptionTests {
    @Test func theBatchFormTurnsResumptionOffAndSetsTheLifetime() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.batch(home: t.home, "sslconfig inbound --resumption=no; "
            + "sslconfig outbound --ticket_lifetime=600; sslconfig print; showchanges; commit \"resumption\" Y")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("Inbound SMTP session resumption: Disabled"))
        #expect(result.output.contains("Outbound SMTP session resumption: Enabled, ticket lifetime 600 seconds"))
        #expect(result.output.contains("sslconfig > Inbound SMTP > Session resumption > Enabled: Yes -> No"))
        #expect(result.output.contains("sslconfig > Outbound SMTP > Session resumption > Ticket lifetime (seconds): "
            + "3600 -> 600"))
        let ssl = try t.store.load().configuration.ssl
        #expect(ssl.inbound.resumption == SessionResumption(enabled: false))
        #expect(ssl.outbound.resumption == SessionResumption(enabled: true, ticketLifetime: 600))
        #expect(ssl.inbound.ciphers == FactoryDefaults.cipherString)  // the rest kept its values
    }

    @Test(arguments: ["59", "604801", "soon"])
    func aLifetimeOutOfRangeIsRefusedAndNothingChanges(lifetime: String) throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.batch(home: t.home, "sslconfig inbound --ticket_lifetime=\(lifetime)")
        #expect(result.status != 0)
        #expect(result.output.contains("Invalid \"ticket_lifetime\" value: \"\(lifetime)\""), "\(result.output)")
        #expect(try t.store.load().configuration.ssl.inbound.resumption == SessionResumption())
    }

    @Test func aLifetimeOutOfRangeInTheFileIsAProblemWithItsPath() {
        var configuration = FactoryDefaults.configuration
        configuration.ssl.gui.resumption.ticketLifetime = 10
        let problems = configuration.validate()
        #expect(problems.contains { $0.path == "ssl.gui.resumption.ticketLifetime" && $0.message.contains("604800") })
    }

    @Test func aConfigurationWrittenBeforeResumptionExistedLoadsWithItOn() throws {
        let old = #"{"methods": "tlsv1.2", "ciphers": "HIGH", "tls13Suites": ""}"#
        let settings = try TreeDecoder.decode(SSLServiceSettings.self, from: Data(old.utf8))
        #expect(settings.resumption == SessionResumption(enabled: true, ticketLifetime: 3600))
    }
}
