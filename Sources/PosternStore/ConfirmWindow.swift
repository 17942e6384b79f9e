import Foundation
import PosternConfig
import PosternSpool

/// A `commit confirmed <minutes>` waiting for its confirmation (`config/confirm.json`).
/// It lives in the store, not in the CLI: the engine watches it and rolls back when the
/// deadline passes, whether or not the admin's session still exists, and after a restart.
public struct ConfirmWindow: Codable, Hashable, Sendable {
    /// The generation that must be confirmed.
    public var generation: Int
    /// What an expiry rolls back to.
    public var previous: Int
    public var deadline: Date
    public var minutes: Int
    public var user: String

    public init(generation: Int, previous: Int, deadline: Date, minutes: Int, user: String) {
        self.generation = generation
        self.previous = previous
        self.deadline = deadline
        self.minutes = minutes
        self.user = user
    }
}

extension Home {
    public var confirmFile: URL { configDirectory.appendingPathComponent("confirm.json") }
}

extension ConfigStore {
    /// The commit waiting for confirmation, if any.
    public func pendingConfirmation() -> ConfirmWindow? {
        guard let data = try? Data(contentsOf: home.confirmFile) else { return nil }
        return try? JSONCoding.decoder.decode(ConfirmWindow.self, from: data)
    }

    /// Opens a window for `record` (called by the committer right after the commit).
    func openConfirmWindow(for record: CommitRecord, minutes: Int, now: Date) throws(StoreError) {
        let window = ConfirmWindow(generation: record.generation, previous: record.parent,
                                   deadline: now.addingTimeInterval(TimeInterval(minutes * 60)), minutes: minutes,
                                   user: record.user)
        let hook = faultHook
        do {
            try DurableFile.write(try CanonicalJSON.encode(window), to: home.confirmFile, files: files) {
                hook?(.confirm($0))
            }
        } catch {
            throw StoreError.io("confirm window: \(error)")
        }
    }

    func closeConfirmWindow() {
        if unlink(home.confirmFile.path) == 0 { try? DurableFile.syncDirectory(home.configDirectory.path) }
    }

    /// Confirms the waiting commit. Returns the window it closed, or nil when none was open.
    public func confirm() throws(StoreError) -> ConfirmWindow? {
        try withLock { () throws(StoreError) -> ConfirmWindow? in
            guard let window = pendingConfirmation() else { return nil }
            closeConfirmWindow()
            return window
        }
    }

    /// When the window has expired: commits the previous generation's configuration again,
    /// as a new generation saying why. Returns its record, or nil when there was nothing to do.
    public func rollBackIfUnconfirmed(now: Date = Date()) throws(StoreError) -> CommitRecord? {
        guard let waiting = pendingConfirmation(), waiting.deadline <= now else { return nil }
        return try withLock { () throws(StoreError) -> CommitRecord? in
            guard let window = pendingConfirmation(), window.deadline <= now else { return nil }
            let current = try load()
            // The commit that opened this window crashed before its generation became current
            // (the window is written first): there is nothing to roll back.
            guard current.commit.generation == window.generation else {
                closeConfirmWindow()
                return nil
            }
            let previous = try load(generation: window.previous)
            let time = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
            let record = CommitRecord(
                generation: current.commit.generation + 1, parent: current.commit.generation, time: time,
                user: "posternd", source: "local",
                comment: "Automatic rollback to generation \(window.previous): generation \(window.generation) was not "
                    + "confirmed within \(window.minutes) minute\(window.minutes == 1 ? "" : "s")")
            try write(ConfigDocument(commit: record, configuration: previous.configuration))
            closeConfirmWindow()
            return record
        }
    }
}
