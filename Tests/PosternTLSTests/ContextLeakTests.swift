import COpenSSL
import Foundation
import PosternConfig
import Synchronization
import Testing
@testable import PosternTLS

/// Counts SSL_CTX allocations and frees through OpenSSL's ex_data callbacks, which run for
/// every registered index, on the calling thread, when a context is made and freed. Counted
/// per thread, so contexts other tests build at the same time do not count.
enum ContextCounter {
    static let live = Mutex<[UInt: Int]>([:])
    static let registered: Int32 = CRYPTO_get_ex_new_index(
        CRYPTO_EX_INDEX_SSL_CTX, 0, nil,
        { _, _, _, _, _, _ in ContextCounter.live.withLock { $0[ContextCounter.thread, default: 0] += 1 } }, nil,
        { _, _, _, _, _, _ in ContextCounter.live.withLock { $0[ContextCounter.thread, default: 0] -= 1 } })

    static var thread: UInt { UInt(pthread_self()) }
    static var liveOnThisThread: Int { live.withLock { $0[thread, default: 0] } }
}

/// A context whose init throws after SSL_CTX_new must free it (issue 12 §6).
@Suite(.serialized) struct ContextLeakTests {
    @Test func aBadCipherStringLeaksNoContext() throws {
        #expect(ContextCounter.registered >= 0)
        let before = ContextCounter.liveOnThisThread
        for _ in 0..<20 {
            let settings = SSLServiceSettings(methods: TLSMethods([.tlsv1_2]), ciphers: "NO-SUCH-CIPHER", tls13Suites: "")
            #expect(throws: TLSError.self) { _ = try TLSContext(role: .server, settings: settings, identity: nil) }
        }
        #expect(ContextCounter.liveOnThisThread == before)
    }

    @Test func aMissingCertificateLeaksNoContext() throws {
        #expect(ContextCounter.registered >= 0)
        let before = ContextCounter.liveOnThisThread
        let identity = TLSIdentityFiles(certificatePath: "/nonexistent/cert.pem", keyPath: "/nonexistent/key.pem")
        for _ in 0..<20 {
            #expect(throws: TLSError.self) {
                _ = try TLSContext(role: .server, settings: FactoryDefaults.sslService, identity: identity)
            }
        }
        #expect(ContextCounter.liveOnThisThread == before)
    }
}
