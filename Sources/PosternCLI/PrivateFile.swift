import Foundation

/// A per-admin file (the CLI history) opened without trusting what is already at its path:
/// never through a symbolic link (O_NOFOLLOW), only a regular file owned by this user, and
/// created 0600 when absent. Anything else is refused with a sentence saying why.
enum PrivateFile {
    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    static func open(_ path: String, write: Bool) throws(Refused) -> Int32 {
        let flags = (write ? O_RDWR | O_CREAT : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC
        let fd = Foundation.open(path, flags, 0o600)
        guard fd >= 0 else {
            let e = errno
            throw Refused(description: e == ELOOP ? "\(path) is a symbolic link; not followed"
                : "\(path): \(String(cString: strerror(e)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == geteuid() else {
            close(fd)
            throw Refused(description: "\(path) is not a regular file owned by this user; not used")
        }
        if info.st_mode & 0o077 != 0 { fchmod(fd, 0o600) }
        return fd
    }
}
