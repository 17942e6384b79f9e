import Foundation
import PosternConfig
import PosternSpool

/// The small JSON files the programs keep under the home beside the configuration (the TLS
/// report, the web lock-out): dates in ISO 8601, keys sorted, replaced durably by rename, in
/// a directory the appliance group may use.
public enum StateFile {
    public static func write<Value: Encodable>(_ value: Value, to url: URL) throws {
        try SharedDirectory.create(url.deletingLastPathComponent())
        try DurableFile.write(try JSONCoding.compact.encode(value), to: url)
    }

    /// The value in the file; nil when there is none or it cannot be read.
    public static func read<Value: Decodable>(_ type: Value.Type, from url: URL) -> Value? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONCoding.decoder.decode(type, from: data)
    }
}
