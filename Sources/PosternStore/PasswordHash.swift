import CCrypt
import Foundation

/// Password hashes by the system's libxcrypt: yescrypt (`$y$`), its default and strongest
/// method; never a hand-written KDF. Verification hashes the candidate with the stored
/// setting and compares in constant time, so any method libxcrypt knows still verifies.
public enum PasswordHash {
    /// A new yescrypt hash of `password` with a fresh salt from the kernel's random source.
    public static func make(_ password: String) throws(StoreError) -> String {
        var random = [UInt8](repeating: 0, count: 32)
        guard getentropy(&random, random.count) == 0 else { throw StoreError.io("getentropy: \(errnoText())") }
        var setting = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        let made = random.withUnsafeBufferPointer { bytes in
            bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) { pointer in
                crypt_gensalt_rn("$y$", 0, pointer, Int32(bytes.count), &setting, Int32(setting.count))
            }
        }
        guard made != nil else { throw StoreError.io("crypt_gensalt_rn: \(errnoText())") }
        guard let hash = crypt(password, setting: text(setting)) else {
            throw StoreError.io("crypt_r: \(errnoText())")
        }
        return hash
    }

    /// Whether `password` matches `hash`. A hash libxcrypt cannot read (`*`, `!`, empty)
    /// never matches: that is how an account without a usable password is stored.
    public static func verify(_ password: String, hash: String) -> Bool {
        guard hash.hasPrefix("$"), let candidate = crypt(password, setting: hash) else { return false }
        return constantTimeEqual(candidate, hash)
    }

    /// Compares secrets (hashes, session and CSRF tokens) without stopping at the first difference.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    /// `crypt_r` with its own state (reentrant: web requests run on many threads); libxcrypt
    /// returns a string starting with `*` on failure instead of nil.
    private static func crypt(_ password: String, setting: String) -> String? {
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer {
            memset(data, 0, MemoryLayout<crypt_data>.size)  // the state holds the password's derivation
            data.deallocate()
        }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        guard let result = crypt_r(password, setting, data) else { return nil }
        let hash = String(cString: result)
        return hash.hasPrefix("*") ? nil : hash
    }

    /// A NUL-terminated C buffer as a String.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
