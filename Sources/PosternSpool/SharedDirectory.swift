import Foundation

/// Directories of a home, for the owner and the group (0770). A home shared by a group of
/// admins has the set-group-ID bit on its directories (Docs/ssh.md, scripts/admin-user), so
/// that whatever any of them writes belongs to the group. Setting a mode outright clears
/// that bit, as FileManager's `createDirectory(…, attributes:)` does; so each missing
/// directory, parents included, is made here with the bit its parent has.
public enum SharedDirectory {
    /// Why a directory could not be made, in words (`cannot create …/queue/segments: Permission
    /// denied`; `cannot reach …`, when it may exist but this account cannot look).
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func create(_ directory: URL) throws(Failure) {
        var missing: [URL] = []
        var current = directory.standardizedFileURL
        var info = stat()
        while stat(current.path, &info) != 0 && current.path != "/" {
            // Only a name that is not there is made; any other failure (no permission to look,
            // a file where a directory should be) is reported as it is.
            guard errno == ENOENT else { throw failure(current, "cannot reach") }
            missing.append(current)
            current = current.deletingLastPathComponent()
        }
        for url in missing.reversed() {
            var parent = stat()
            let setGroupID = stat(url.deletingLastPathComponent().path, &parent) == 0 && parent.st_mode & S_ISGID != 0
            guard mkdir(url.path, 0o770) == 0 || errno == EEXIST else { throw failure(url, "cannot create") }
            guard chmod(url.path, setGroupID ? 0o2770 : 0o770) == 0 else { throw failure(url, "cannot set the mode of") }
        }
    }

    private static func failure(_ url: URL, _ what: String) -> Failure {
        Failure(description: "\(what) \(url.path): \(String(cString: strerror(errno)))")
    }
}
