import Foundation

/// Directories of a home, for the owner and the group (0770). A home shared by a group of
/// admins has the set-group-ID bit on its directories (Docs/ssh.md, scripts/admin-user), so
/// that whatever any of them writes belongs to the group. Setting a mode outright clears
/// that bit, as FileManager's `createDirectory(…, attributes:)` does; so each missing
/// directory, parents included, is made here with the bit its parent has.
public enum SharedDirectory {
    public static func create(_ directory: URL) throws {
        var missing: [URL] = []
        var current = directory.standardizedFileURL
        while !FileManager.default.fileExists(atPath: current.path) && current.path != "/" {
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

    private static func failure(_ url: URL, _ what: String) -> CocoaError {
        CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path, NSLocalizedDescriptionKey:
                "\(what) \(url.path): \(String(cString: strerror(errno)))"])
    }
}
