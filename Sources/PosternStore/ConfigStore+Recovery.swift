import Foundation
import PosternConfig

extension ConfigStore {
    /// What `recover` did: the generation it wrote and the one whose configuration it took.
    public struct Recovery: Sendable {
        public let record: CommitRecord
        public let from: CommitRecord
    }

    /// Whether `error` says that config/current.json itself cannot be read.
    public func isDamagedCurrent(_ error: StoreError) -> Bool {
        if case .unreadable(let path, _) = error { return path == home.currentFile.path }
        return false
    }

    /// The generation `recover` would take: the newest in the history that reads back.
    public func recoverySource() -> ConfigDocument? {
        newestReadable(in: generations())
    }

    private func newestReadable(in generations: [Int]) -> ConfigDocument? {
        generations.reversed().lazy.compactMap { try? self.load(generation: $0) }.first
    }

    /// config/current.json cannot be read (only something outside Postern writes it other
    /// than by rename): commits the newest readable generation of the history again, as a new
    /// generation numbered after every one in the history.
    public func recover(user: String, source: String, now: Date = Date()) throws(StoreError) -> Recovery {
        try withLock { () throws(StoreError) -> Recovery in
            if (try? load()) != nil { throw StoreError.intact }
            // Only a file (or nothing) can be replaced by rename; say so before writing anything.
            var info = stat()
            if lstat(home.currentFile.path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
                throw StoreError.io("\(home.currentFile.path) is not a regular file (a directory?); move it out of the "
                    + "way, then run recoverconfig again")
            }
            let all = generations()
            guard let newest = all.last, let document = newestReadable(in: all) else {
                throw StoreError.unreadable(home.historyDirectory.path, ConfigProblems([ConfigProblem(
                    path: "", message: "No generation in the history can be read.")]))
            }
            let time = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
            let record = CommitRecord(
                generation: newest + 1, parent: document.commit.generation, time: time, user: user, source: source,
                comment: "Recovered generation \(document.commit.generation): config/current.json could not be read")
            try write(ConfigDocument(commit: record, configuration: document.configuration))
            return Recovery(record: record, from: document.commit)
        }
    }
}
