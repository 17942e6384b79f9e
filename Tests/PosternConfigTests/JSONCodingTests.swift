import Foundation
import PosternConfig
import Testing

/// The one configuration of JSON coders (JSONCoding): what every file and message is written with.
@Suite struct JSONCodingTests {
    struct Sample: Codable, Equatable {
        var zone: String
        var at: Date
        var count: Int
    }

    let sample = Sample(zone: "HIGH/TLSv1.3", at: Date(timeIntervalSince1970: 1_789_948_800), count: 2)

    /// Spool envelopes, delivery state and reports: one line, keys sorted, ISO 8601 dates, `/` as is.
    @Test func compactIsOneSortedLine() throws {
        let text = String(decoding: try JSONCoding.compact.encode(sample), as: UTF8.self)
        #expect(text == #"{"at":"2026-09-21T00:00:00Z","count":2,"zone":"HIGH/TLSv1.3"}"#)
    }

    /// Files a person opens too: the same settings, indented.
    @Test func prettyIsIndentedWithTheSameSettings() throws {
        let text = String(decoding: try JSONCoding.pretty.encode(sample), as: UTF8.self)
        #expect(text == "{\n  \"at\" : \"2026-09-21T00:00:00Z\",\n  \"count\" : 2,\n  \"zone\" : \"HIGH/TLSv1.3\"\n}")
        #expect(try CanonicalJSON.encode(sample) == Data((text + "\n").utf8))
    }

    /// The reader takes what either writer wrote, dates included.
    @Test func theDecoderReadsBothEncoders() throws {
        for encoder in [JSONCoding.compact, JSONCoding.pretty] {
            #expect(try JSONCoding.decoder.decode(Sample.self, from: encoder.encode(sample)) == sample)
        }
    }

    /// Reports the engine writes and the CLI reads go through the same coders both ways.
    @Test func probeAndSelfTestReportsRoundTrip() throws {
        var probe = ProbeReport()
        probe.problems = ["listener InboundMail: bind failed"]
        #expect(try ProbeReport.decode(probe.encoded()) == probe)
        let selfTest = SelfTestReport(listeners: [], problems: ["no listener"])
        #expect(try SelfTestReport.decode(selfTest.encoded()).problems == ["no listener"])
    }
}
