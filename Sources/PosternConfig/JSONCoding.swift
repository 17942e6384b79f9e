import Foundation

/// The one place JSON coders are configured. Every file and message Postern writes as JSON
/// (configuration, history, spool envelopes, delivery state, status, reports, queue requests,
/// audit quoting, etcd bodies) uses one of these, so the settings cannot drift apart between
/// the writer and the reader, and no hot path builds an encoder per message.
///
/// The coders are shared: Foundation's JSONEncoder and JSONDecoder are Sendable and their
/// options are never changed after these are made.
public enum JSONCoding {
    /// One line: what programs read (spool envelopes, delivery state, reports, requests,
    /// quoting inside a log line). Keys sorted, so the same value gives the same bytes; dates
    /// ISO 8601; `/` left as is ("HIGH/TLSv1.3", not "HIGH\/TLSv1.3").
    public static let compact = encoder(pretty: false)

    /// The same, indented: files a person opens too (the configuration and its history,
    /// `run/status.json`, probe and self-test reports).
    public static let pretty = encoder(pretty: true)

    /// Reads what either encoder wrote.
    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    private static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}
