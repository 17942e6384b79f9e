import Foundation
import Glibc
import Logging

/// Watches `config/` with inotify and calls back when `current.json` is replaced (the engine
/// and posternweb both follow commits this way). SIGHUP is the documented trigger, but an
/// admin account may not signal an engine that runs as another user; a replaced `current.json` is the commit itself, so it is enough.
public final class ConfigWatcher: @unchecked Sendable {
    // @unchecked: `fd` is set once in init and only read by the watching thread and stop().
    private let fd: Int32
    private let thread: Thread

    public init?(home: Home, logger: Logger, onChange: @escaping @Sendable () -> Void) {
        let fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else {
            logger.warning("inotify is not available; reloads need SIGHUP")
            return nil
        }
        guard inotify_add_watch(fd, home.configDirectory.path, UInt32(IN_MOVED_TO) | UInt32(IN_CLOSE_WRITE)) >= 0 else {
            close(fd)
            logger.warning("cannot watch \(home.configDirectory.path); reloads need SIGHUP")
            return nil
        }
        self.fd = fd
        thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }  // closed by stop()
                var offset = 0
                var changed = false
                while offset + MemoryLayout<inotify_event>.size <= n {
                    let length = buffer.withUnsafeBytes {
                        $0.loadUnaligned(fromByteOffset: offset, as: inotify_event.self).len
                    }
                    let nameStart = offset + MemoryLayout<inotify_event>.size
                    let nameBytes = buffer[nameStart..<min(n, nameStart + Int(length))].prefix { $0 != 0 }
                    if String(decoding: nameBytes, as: UTF8.self) == "current.json" { changed = true }
                    offset = nameStart + Int(length)
                }
                if changed { onChange() }
            }
        }
        thread.name = "config-watcher"
        thread.start()
    }

    public func stop() {
        close(fd)
    }
}
