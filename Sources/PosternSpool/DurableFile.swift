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
        _ data: Data, to url: URL, mode: mode_t = 0o644, files: any FileOperations = SystemFiles(),
        observe: ((Step) -> Void)? = nil
    ) throws(Failure) {
        let directory = url.deletingLastPathComponent().path
        let temp = directory + "/." + url.lastPathComponent + ".tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let fd = try files.open(temp, flags: O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: mode)
        do throws(Failure) {
            try writeAll(data, fd: fd, path: temp, files: files)
            observe?(.tempWritten)
            try files.sync(fd, path: temp, dataOnly: false)
            observe?(.tempSynced)
            // open() applies the umask; the mode asked for is the mode wanted (keys: 0600).
            fchmod(fd, mode)
        } catch {
            files.close(fd)
            unlink(temp)
            throw error
        }
        files.close(fd)
        do throws(Failure) {
            try files.rename(temp, to: url.path)
        } catch {
            unlink(temp)
            throw error
        }
        observe?(.renamed)
        try files.syncDirectory(directory)
        observe?(.directorySynced)
    }

    /// fsync of a directory, which makes a rename or a new name in it durable.
    public static func syncDirectory(_ path: String) throws(Failure) {
        try SystemFiles().syncDirectory(path)
    }

    /// Writes every byte of `data` (`withUnsafeBytes` only rethrows untyped errors, hence the box).
    public static func writeAll(
        _ data: Data, fd: Int32, path: String, files: any FileOperations = SystemFiles()
    ) throws(Failure) {
        var failure: Failure?
        data.withUnsafeBytes { raw in
            do throws(Failure) { try files.write(fd, raw, path: path) } catch { failure = error }
        }
        if let failure { throw failure }
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
