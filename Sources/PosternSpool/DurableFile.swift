import Foundation

/// Writes a file so that after a crash at any instant the name holds either the old
/// content or the new, never a mix: temp file, fsync, rename, fsync of the directory
/// (style.md §10). The spool and the configuration store both write this way.
public enum DurableFile {
    /// The steps of a durable write, named for fault injection in tests.
    public enum Step: String, Sendable, CaseIterable {
        case tempWritten = "temp-written"
        case tempSynced = "temp-synced"
        case renamed
        case directorySynced = "directory-synced"
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let path: String
        public let operation: String
        public let errno: Int32

        public init(path: String, operation: String, errno: Int32) {
            self.path = path
            self.operation = operation
            self.errno = errno
        }

        public var description: String {
            "\(operation) \(path): \(String(cString: strerror(errno)))"
        }
    }

    /// Replaces `url` with `data`. `observe` is called after each step (tests inject faults there).
    public static func write(
        _ data: Data, to url: URL, mode: mode_t = 0o644, observe: ((Step) -> Void)? = nil
    ) throws(Failure) {
        let directory = url.deletingLastPathComponent().path
        let temp = directory + "/." + url.lastPathComponent + ".tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(path: temp, operation: "open", errno: errno) }
        do throws(Failure) {
            try writeAll(fd: fd, data: data, path: temp)
            observe?(.tempWritten)
            guard fsync(fd) == 0 else { throw Failure(path: temp, operation: "fsync", errno: errno) }
            observe?(.tempSynced)
            // open() applies the umask; the mode asked for is the mode wanted (keys: 0600).
            fchmod(fd, mode)
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        close(fd)
        guard rename(temp, url.path) == 0 else {
            let e = errno
            unlink(temp)
            throw Failure(path: url.path, operation: "rename", errno: e)
        }
        observe?(.renamed)
        try syncDirectory(directory)
        observe?(.directorySynced)
    }

    /// fsync of a directory, which makes a rename or a new name in it durable.
    public static func syncDirectory(_ path: String) throws(Failure) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(path: path, operation: "fsync", errno: errno) }
    }

    public static func writeAll(fd: Int32, data: Data, path: String) throws(Failure) {
        var failure: Failure?
        data.withUnsafeBytes { raw in
            do throws(Failure) { try writeAll(fd: fd, bytes: raw, path: path) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes every byte, retrying short writes and EINTR.
    public static func writeAll(fd: Int32, bytes: UnsafeRawBufferPointer, path: String) throws(Failure) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, base + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, operation: "write", errno: errno)
            }
            offset += n
        }
    }

    /// Removes temp files a crash left behind in `directory` (names starting with `.` and
    /// holding `.tmp.`); they were never renamed, so they were never part of anything.
    public static func removeLeftovers(in directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(".") && name.contains(".tmp.") {
            unlink(directory + "/" + name)
        }
    }
}
