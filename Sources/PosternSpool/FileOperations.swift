import Foundation

/// The file system calls the spool, the ID allocator and the configuration store make, behind
/// one interface so that tests can fail any of them with any errno (style.md §18, SQLite's
/// fault-injecting VFS). `SystemFiles` is the real thing; every method throws the failing
/// call's errno as a `DurableFile.Failure`.
public protocol FileOperations: Sendable {
    /// `open(2)`; returns the descriptor.
    func open(_ path: String, flags: Int32, mode: mode_t) throws(DurableFile.Failure) -> Int32
    /// Writes every byte (short writes and EINTR retried).
    func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(DurableFile.Failure)
    /// `fdatasync(2)` (`dataOnly`, enough for an append whose file already has its name) or `fsync(2)`.
    func sync(_ fd: Int32, path: String, dataOnly: Bool) throws(DurableFile.Failure)
    func rename(_ from: String, to: String) throws(DurableFile.Failure)
    /// `ftruncate(2)`: takes back what a failed group commit appended.
    func truncate(_ fd: Int32, to length: UInt64, path: String) throws(DurableFile.Failure)
    /// fsync of a directory, which makes a new name or a rename in it durable.
    func syncDirectory(_ path: String) throws(DurableFile.Failure)
    func close(_ fd: Int32)
}

/// The steps a `FileOperations` call can fail at, named for fault injection.
public enum FileStep: String, Sendable, CaseIterable {
    case open, write, sync, rename, truncate
    case directorySync = "directory-sync"
}

/// The operating system's own calls.
public struct SystemFiles: FileOperations {
    public init() {}

    public func open(_ path: String, flags: Int32, mode: mode_t) throws(DurableFile.Failure) -> Int32 {
        let fd = Foundation.open(path, flags, mode)
        guard fd >= 0 else { throw DurableFile.Failure(path: path, operation: "open", errno: errno) }
        return fd
    }

    public func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(DurableFile.Failure) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, base + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw DurableFile.Failure(path: path, operation: "write", errno: errno)
            }
            offset += n
        }
    }

    public func sync(_ fd: Int32, path: String, dataOnly: Bool) throws(DurableFile.Failure) {
        let result = dataOnly ? fdatasync(fd) : fsync(fd)
        guard result == 0 else {
            throw DurableFile.Failure(path: path, operation: dataOnly ? "fdatasync" : "fsync", errno: errno)
        }
    }

    public func rename(_ from: String, to: String) throws(DurableFile.Failure) {
        guard Foundation.rename(from, to) == 0 else { throw DurableFile.Failure(path: to, operation: "rename", errno: errno) }
    }

    public func truncate(_ fd: Int32, to length: UInt64, path: String) throws(DurableFile.Failure) {
        guard ftruncate(fd, off_t(length)) == 0 else {
            throw DurableFile.Failure(path: path, operation: "ftruncate", errno: errno)
        }
    }

    public func syncDirectory(_ path: String) throws(DurableFile.Failure) {
        let fd = Foundation.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw DurableFile.Failure(path: path, operation: "open", errno: errno) }
        defer { Foundation.close(fd) }
        guard fsync(fd) == 0 else { throw DurableFile.Failure(path: path, operation: "fsync", errno: errno) }
    }

    public func close(_ fd: Int32) {
        Foundation.close(fd)
    }
}
