import Foundation
import PosternConfig
import PosternRuntime
import PosternStore

/// A fresh appliance home in a temporary directory, with the factory configuration.
public struct TemporaryHome {
    public let home: Home
    public var store: ConfigStore { ConfigStore(home: home) }

    public init(prefix: String = "postern-test") throws {
        var template = Array((NSTemporaryDirectory() + "/\(prefix).XXXXXX").utf8CString)
        guard let path = mkdtemp(&template) else { throw POSIXError(.EIO) }
        home = Home(String(cString: path))
        try HomeBootstrap.prepare(home)
    }

    /// Commits `change` applied to the current configuration, as a CLI session would.
    @discardableResult
    public func commit(_ comment: String = "test", user: String = "tester", checked: Bool = true,
                       _ change: (inout Configuration) -> Void) throws -> CommitRecord {
        let current = try store.load()
        var configuration = current.configuration
        change(&configuration)
        let home = self.home
        return try store.commit(configuration, base: current.commit.generation, user: user, source: "local",
                                comment: comment,
                                check: { checked ? CompiledConfiguration.check($0, home: home) : [] })
    }

    public func remove() {
        try? FileManager.default.removeItem(at: home.root)
    }
}

/// A TCP port nobody listens on right now (bind to port 0, read it, release it).
public func freePort(host: String = "127.0.0.1") -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    inet_pton(AF_INET, host, &address.sin_addr)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Where the built executables are: next to the running test binary, or `POSTERN_BIN`.
public func builtExecutable(_ name: String) -> String {
    if let dir = ProcessInfo.processInfo.environment["POSTERN_BIN"] { return dir + "/" + name }
    return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
}

/// Waits for `condition`, polling, up to `timeout`; returns whether it became true.
public func waitFor(timeout: Duration = .seconds(10), _ condition: () -> Bool) -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
