import Foundation
import PosternConfig

/// Who committed what, when, from where: stored with every generation.
public struct CommitRecord: Codable, Hashable, Sendable {
    public var generation: Int
    public var parent: Int
    public var time: Date
    public var user: String
    /// Where the admin came from (`192.0.2.7` from SSH_CONNECTION), or `local`.
    public var source: String
    public var comment: String
    /// `false` when the admin answered No to `Do you want to save the current configuration
    /// for rollback?`: rollbackconfig does not offer it. Absent (older records) is yes.
    public var forRollback: Bool?

    public init(generation: Int, parent: Int, time: Date, user: String, source: String, comment: String,
                forRollback: Bool = true) {
        self.generation = generation
        self.parent = parent
        self.time = time
        self.user = user
        self.source = source
        self.comment = comment
        self.forRollback = forRollback ? nil : false
    }

    /// Whether rollbackconfig lists this generation.
    public var offeredForRollback: Bool { forRollback ?? true }

    /// The line appended to `commits.log`.
    var logLine: String {
        let stamp = ISO8601DateFormatter().string(from: time)
        return "\(stamp) generation=\(generation) parent=\(parent) user=\(Self.quote(user)) "
            + "source=\(Self.quote(source)) comment=\(Self.quote(comment))\n"
    }

    /// JSON string quoting keeps one record on one line whatever the comment holds.
    private static func quote(_ text: String) -> String {
        guard let data = try? JSONCoding.compact.encode(text), let quoted = String(data: data, encoding: .utf8) else {
            return "\"\""
        }
        return quoted
    }
}

/// A committed generation: `current.json` and `history/N.json` hold exactly this.
public struct ConfigDocument: Codable, Hashable, Sendable {
    public var commit: CommitRecord
    public var configuration: Configuration

    public init(commit: CommitRecord, configuration: Configuration) {
        self.commit = commit
        self.configuration = configuration
    }
}
