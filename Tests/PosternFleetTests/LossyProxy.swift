import Foundation

/// A TCP relay in front of a real etcd member that loses one txn: either the request (it
/// never reaches etcd) or the answer (etcd applies it, the client never hears). Everything
/// before the first `/v3/kv/txn` on a connection passes both ways untouched.
final class LossyProxy: @unchecked Sendable {
    // @unchecked: `listener` is set once; each connection's state is behind its own lock.
    enum Loss: Sendable { case request, answer }

    let url: String
    private let listener: Int32

    init(targetPort: Int, loses loss: Loss) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        listen(listener, 16)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        url = "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
        Thread.detachNewThread {
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var target = Self.loopback(port: targetPort)
                let connected = withUnsafePointer(to: &target) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard connected == 0 else { close(client); close(upstream); continue }
                let lost = Flag()
                Thread.detachNewThread {  // client -> etcd
                    var buffer = [UInt8](repeating: 0, count: 65536)
                    while true {
                        let n = read(client, &buffer, buffer.count)
                        if n <= 0 { shutdown(upstream, Int32(SHUT_WR)); return }
                        let chunk = Array(buffer[0..<n])
                        if !lost.value && String(decoding: chunk, as: UTF8.self).contains("/v3/kv/txn") {
                            lost.value = true
                            if loss == .request { return }
                        }
                        if lost.value && loss == .request { continue }
                        _ = chunk.withUnsafeBytes { write(upstream, $0.baseAddress, n) }
                    }
                }
                Thread.detachNewThread {  // etcd -> client
                    var buffer = [UInt8](repeating: 0, count: 65536)
                    while true {
                        let n = read(upstream, &buffer, buffer.count)
                        if n <= 0 { shutdown(client, Int32(SHUT_WR)); return }
                        if lost.value { continue }
                        _ = buffer.withUnsafeBytes { write(client, $0.baseAddress, n) }
                    }
                }
            }
        }
    }

    func stop() { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    final class Flag: @unchecked Sendable {
        // @unchecked: every access goes through `lock`.
        private let lock = NSLock()
        private var _value = false
        var value: Bool {
            get { lock.withLock { _value } }
            set { lock.withLock { _value = newValue } }
        }
    }
}
