import Foundation

/// The files an admin names to IMPORT and EXPORT tables and certificates: they live in
/// `HOME/configuration`, as AsyncOS keeps them in its `/configuration` directory. A name is
/// relative to that directory and must stay inside it: an admin whose login shell is
/// `postern` must not be able to read or overwrite any other file the account can reach
/// (`export ../config/current.json` would replace the committed configuration).
public enum ConfigurationFiles {
    public static func directory(_ home: Home) -> URL { home.root.appendingPathComponent("configuration") }

    /// Creates the directory if it is missing (a fresh home has none until the first EXPORT).
    public static func prepare(_ home: Home) throws {
        try FileManager.default.createDirectory(at: directory(home), withIntermediateDirectories: true)
    }

    /// The file a name stands for, with every symbolic link resolved, once it is known to be
    /// inside the configuration directory. Refuses absolute names, `..`, and names whose
    /// links lead out; a file that does not exist yet is fine when its folder is inside.
    public static func resolve(_ name: String, home: Home) -> Result<URL, ConfigurationFileError> {
        if name.isEmpty { return .failure(ConfigurationFileError(name, .empty)) }
        if name.hasPrefix("/") { return .failure(ConfigurationFileError(name, .absolute)) }
        if name.contains("\0") { return .failure(ConfigurationFileError(name, .outside)) }
        if name.split(separator: "/").contains("..") { return .failure(ConfigurationFileError(name, .parent)) }
        try? prepare(home)
        guard let base = realPath(directory(home).path) else {
            return .failure(ConfigurationFileError(name, .noDirectory))
        }
        let candidate = base + "/" + name
        let resolved: String
        if let existing = realPath(candidate) {
            resolved = existing
        } else if isSymbolicLink(candidate) {
            // A link to nowhere: writing through it would create its target, wherever that is.
            return .failure(ConfigurationFileError(name, .outside))
        } else {
            let url = URL(fileURLWithPath: candidate)
            guard let folder = realPath(url.deletingLastPathComponent().path) else {
                return .failure(ConfigurationFileError(name, .missingFolder))
            }
            resolved = folder + "/" + url.lastPathComponent
        }
        guard resolved.hasPrefix(base + "/") else { return .failure(ConfigurationFileError(name, .outside)) }
        return .success(URL(fileURLWithPath: resolved))
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func isSymbolicLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }
}

/// Why a file name given to IMPORT or EXPORT was refused.
public struct ConfigurationFileError: Error, Equatable, Sendable, CustomStringConvertible {
    enum Reason: Equatable, Sendable {
        case empty
        case absolute
        case parent
        case outside
        case noDirectory
        case missingFolder
    }

    public let name: String
    let reason: Reason

    init(_ name: String, _ reason: Reason) {
        self.name = name
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .empty:
            return "Please enter a file name."
        case .absolute:
            return "The file \"\(name)\" is not allowed: give a name in the configuration directory, not an "
                + "absolute path."
        case .parent:
            return "The file \"\(name)\" is not allowed: \"..\" cannot leave the configuration directory."
        case .outside:
            return "The file \"\(name)\" is not allowed: it leads outside the configuration directory."
        case .noDirectory:
            return "The configuration directory cannot be created."
        case .missingFolder:
            return "The file \"\(name)\" cannot be used: its folder does not exist in the configuration directory."
        }
    }
}
