import Foundation
import PosternCertificates
import PosternStore
import PosternTLS
import PosternTestSupport
import Testing

/// The engine's session-ticket keys on disk (issue 16 §3): private, whole, and a damaged file
/// costs resumption only.
@Suite struct TicketKeyFileTests {
    @Test func keysSurviveASaveAndLoadAndTheFileIsTheOwnersOnly() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let file = TicketKeyFile(home: t.home)
        #expect(file.load().keys.isEmpty && file.load().problem == nil)
        let keys = [SessionTicketKey.generate(created: 7200), SessionTicketKey.generate(created: 3600)]
        try file.save(keys)
        let (loaded, problem) = file.load()
        #expect(problem == nil)
        #expect(loaded == keys)
        let attributes = try FileManager.default.attributesOfItem(atPath: t.home.ticketKeysFile.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let directory = try FileManager.default.attributesOfItem(atPath: t.home.tlsDirectory.path)
        #expect((directory[.posixPermissions] as? Int) == 0o700)
    }

    @Test(arguments: ["garbage\n", "12 zz 00 00\n", "12 00112233445566778899aabbccddeeff 00 00\n"])
    func aDamagedFileIsNoKeysAndASentence(text: String) throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try FileManager.default.createDirectory(at: t.home.tlsDirectory, withIntermediateDirectories: true)
        try text.write(to: t.home.ticketKeysFile, atomically: true, encoding: .utf8)
        let (keys, problem) = TicketKeyFile(home: t.home).load()
        #expect(keys.isEmpty)
        #expect(problem?.contains("line 1 is not a ticket key") == true)
    }
}
