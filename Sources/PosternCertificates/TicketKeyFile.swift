import Foundation
import PosternSpool
import PosternStore
import PosternTLS

/// The engine's session-ticket keys on disk, so that a ticket survives a restart: `tls/`
/// (mode 0700) holds `session-ticket-keys` (mode 0600, written durably), one key a line,
/// newest first: `<created> <name> <cipher key> <MAC key>`, the keys in hex. Nothing else
/// reads it, and the keys never reach a log.
public struct TicketKeyFile: Sendable {
    public let url: URL

    public init(home: Home) {
        self.url = home.ticketKeysFile
    }

    /// The stored keys. A missing file is no keys; a damaged one is no keys and a sentence
    /// (the engine makes new keys: resumption starts over, nothing else is lost).
    public func load() -> (keys: [SessionTicketKey], problem: String?) {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            let exists = FileManager.default.fileExists(atPath: url.path)
            return ([], exists ? "tls/\(url.lastPathComponent) cannot be read" : nil)
        }
        var keys: [SessionTicketKey] = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            let fields = line.split(separator: " ")
            guard fields.count == 4, let created = Int64(fields[0]), let name = TicketKeyFile.bytes(hex: fields[1]),
                let cipherKey = TicketKeyFile.bytes(hex: fields[2]), let macKey = TicketKeyFile.bytes(hex: fields[3]),
                let key = SessionTicketKey(name: name, cipherKey: cipherKey, macKey: macKey, created: created)
            else {
                return ([], "tls/\(url.lastPathComponent) line \(number + 1) is not a ticket key")
            }
            keys.append(key)
        }
        return (keys, nil)
    }

    /// Writes the keys, replacing the file whole (temp file, fsync, rename).
    public func save(_ keys: [SessionTicketKey]) throws(StoreError) {
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError.io("cannot create \(directory.lastPathComponent)/: \(error.localizedDescription)")
        }
        let text = keys.map { key in
            ["\(key.created)", TicketKeyFile.hex(key.name), TicketKeyFile.hex(key.cipherKey),
             TicketKeyFile.hex(key.macKey)].joined(separator: " ") + "\n"
        }.joined()
        do {
            try DurableFile.write(Data(text.utf8), to: url, mode: 0o600)
        } catch {
            throw StoreError.io("cannot write tls/\(url.lastPathComponent): \(error)")
        }
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func bytes(hex: Substring) -> [UInt8]? {
        let digits = Array(hex)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(digits[i...i + 1]), radix: 16) else { return nil }
            out.append(byte)
        }
        return out
    }
}
