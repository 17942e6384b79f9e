import Foundation
import PosternConfig
import PosternSpool

/// The committed configuration on disk and the commit protocol (DESIGN.md, "The commit
/// protocol"): generations, history, `commits.log`, the lock, atomic replacement.
public struct ConfigStore: Sendable {
    public let home: Home
    /// Called at each step of a commit; tests use it to kill the process at that instant.
    public var faultHook: (@Sendable (CommitStep) -> Void)?
    /// The file operations of a commit (tests fail them with `FaultyFiles`).
    public var files: any FileOperations = SystemFiles()

    public init(home: Home) {
        self.home = home
    }

    /// The committed generation, as the engine would read it.
    public func load() throws(StoreError) -> ConfigDocument {
        try read(home.currentFile)
    }

    /// The commit record of the current generation, without decoding the configuration
    /// (a million sender entries take a while to parse; a commit only needs the generation).
    public func currentCommit() throws(StoreError) -> CommitRecord {
        let url = home.currentFile
        let data = try bytes(of: url)
        guard let top = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let commit = top["commit"],
            let commitData = try? JSONSerialization.data(withJSONObject: commit),
            let record = try? CanonicalJSON.decode(CommitRecord.self, from: commitData)
        else { throw StoreError.unreadable(url.path, ConfigProblems([])) }
        return record
    }

    /// A generation from the history.
    public func load(generation: Int) throws(StoreError) -> ConfigDocument {
        try read(home.historyFile(generation))
    }

    /// The bytes of a store file. Only a file that does not exist is `missing`; any other
    /// failure (EACCES, a directory in its place, EIO) is named, as `unreadable`. A missing
    /// current.json in a home whose history holds generations was removed from outside: that
    /// is damage too, never a reason for the factory configuration.
    func bytes(of url: URL) throws(StoreError) -> Data {
        func unreadable(_ why: String) -> StoreError {
            StoreError.unreadable(url.path, ConfigProblems([ConfigProblem(path: "", message: why)]))
        }
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            if e == ENOENT {
                if url == home.currentFile, let newest = historyGenerations().last {
                    throw unreadable("The file is missing, but config/history/ holds committed generations (the "
                        + "newest is \(newest)): it was removed outside Postern.")
                }
                throw StoreError.missing(url.path)
            }
            throw unreadable(String(cString: strerror(e)) + ".")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw unreadable(String(cString: strerror(errno)) + ".") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw unreadable("It is not a regular file (a directory?).") }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw unreadable(String(cString: strerror(errno)) + ".")
            }
            if n == 0 { return data }
            data.append(contentsOf: chunk[0..<n])
        }
    }

    /// Every generation file in config/history/, crashed commits' included, oldest first.
    package func historyGenerations() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: home.historyDirectory.path)) ?? []
        return names.compactMap { $0.hasSuffix(".json") ? Int($0.dropLast(5)) : nil }.sorted()
    }

    private func read(_ url: URL) throws(StoreError) -> ConfigDocument {
        let data = try bytes(of: url)
        do {
            var document = try CanonicalJSON.decode(ConfigDocument.self, from: data)
            if document.configuration.users == nil {
                // Written before accounts were part of the configuration: they are in users.json.
                document.configuration.users = try UserStore(home: home).legacyAccounts()
            }
            if document.configuration.schema > Configuration.currentSchema {
                throw StoreError.unreadable(url.path, ConfigProblems([ConfigProblem(
                    path: "configuration.schema",
                    message: "Written by a newer Postern (schema \(document.configuration.schema)).")]))
            }
            return document
        } catch let problems as ConfigProblems {
            throw StoreError.unreadable(url.path, problems)
        } catch {
            throw StoreError.unreadable(url.path, ConfigProblems([]))
        }
    }

    /// Commits `configuration` on top of generation `base`, the one the session started from.
    /// `check` runs first (the caller passes the engine's own check); a commit made meanwhile
    /// by someone else is a conflict, never silently overwritten.
    /// With `confirmWithin` (minutes), the commit must be confirmed in time or the engine rolls
    /// it back; any later commit confirms it.
    public func commit(
        _ configuration: Configuration, base: Int, user: String, source: String, comment: String,
        now: Date = Date(), confirmWithin: Int? = nil, forRollback: Bool = true,
        check: (Configuration) -> [ConfigProblem]
    ) throws(StoreError) -> CommitRecord {
        let problems = check(configuration)
        if !problems.isEmpty { throw StoreError.invalid(ConfigProblems(problems)) }
        return try withLock { () throws(StoreError) -> CommitRecord in
            faultHook?(.locked)
            let current = try currentCommit()
            guard current.generation == base else {
                throw StoreError.conflict(base: base, current: current)
            }
            // Whole seconds: what the ISO 8601 record keeps, so the record returned equals the one read back.
            let time = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
            let record = CommitRecord(
                generation: base + 1, parent: base, time: time, user: user, source: source, comment: comment,
                forRollback: forRollback)
            // A confirmed commit's window is on disk before the generation becomes current, so a
            // crash in between can never make the change permanent without its rollback window
            // (a window for a generation that never became current is dropped, rollBackIfUnconfirmed).
            if let minutes = confirmWithin { try openConfirmWindow(for: record, minutes: minutes, now: now) }
            try write(ConfigDocument(commit: record, configuration: configuration))
            if confirmWithin == nil { closeConfirmWindow() }
            prune(keeping: configuration.historyRetention, current: record.generation)
            return record
        }
    }

    /// Removes the oldest history files beyond `retention` generations (0 keeps all).
    func prune(keeping retention: Int, current: Int) {
        guard retention > 0 else { return }
        let protected = pendingConfirmation()?.previous
        for generation in generations() where generation <= current - retention && generation != protected {
            unlink(home.historyFile(generation).path)
        }
        try? DurableFile.syncDirectory(home.historyDirectory.path)
    }

    /// Writes a document as the new current generation. The caller holds the lock.
    package func write(_ document: ConfigDocument) throws(StoreError) {
        let data: Data
        do { data = try CanonicalJSON.encode(document) } catch { throw StoreError.io("encode: \(error)") }
        let hook = faultHook
        // History is never rewritten. A file for this generation can only be left by a commit
        // that crashed before its rename (its number is above the current one); anything else
        // means the numbering went wrong, and writing would destroy a committed generation.
        let generation = document.commit.generation
        if FileManager.default.fileExists(atPath: home.historyFile(generation).path) {
            let current = (try? currentCommit().generation) ?? Int.max
            if generation <= current {
                throw StoreError.io("config/history/\(generation).json already exists; committed generations are never "
                    + "overwritten")
            }
        }
        do {
            DurableFile.removeLeftovers(in: home.configDirectory.path)
            DurableFile.removeLeftovers(in: home.historyDirectory.path)
            try DurableFile.write(data, to: home.historyFile(document.commit.generation), mode: Home.privateKeyMode,
                                  files: files) { step in
                hook?(.history(step))
            }
            try DurableFile.write(data, to: home.currentFile, mode: Home.privateKeyMode, files: files) { step in hook?(.current(step)) }
        } catch {
            throw StoreError.io(error.description)
        }
        appendLog(document.commit)
        hook?(.logged)
    }

    /// Appends to commits.log; records a crash left out are added first, from the history.
    private func appendLog(_ record: CommitRecord) {
        let fd = open(home.commitsLog.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o664)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var lines = ""
        let logged = lastLoggedGeneration()
        if logged < record.generation - 1 {
            for generation in max(1, logged + 1)..<record.generation {
                if let missed = try? load(generation: generation) { lines += missed.commit.logLine }
            }
        }
        lines += record.logLine
        try? DurableFile.writeAll(Data(lines.utf8), fd: fd, path: home.commitsLog.path)
        fsync(fd)
    }

    private func lastLoggedGeneration() -> Int {
        guard let text = try? String(contentsOf: home.commitsLog, encoding: .utf8),
            let last = text.split(separator: "\n").last,
            let field = last.split(separator: " ").first(where: { $0.hasPrefix("generation=") }),
            let generation = Int(field.dropFirst("generation=".count))
        else { return 0 }
        return generation
    }

    /// The generations the history holds, oldest first, from the file names alone.
    /// A history file newer than current.json is from a commit that crashed before its
    /// rename: it never happened, and is not listed.
    public func generations() -> [Int] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: home.historyDirectory.path) else {
            return []
        }
        let current = (try? currentCommit())?.generation ?? Int.max
        return names.compactMap { name -> Int? in
            guard name.hasSuffix(".json"), let generation = Int(name.dropLast(5)), generation <= current else {
                return nil
            }
            return generation
        }.sorted()
    }

    /// Every commit record in the history, oldest first.
    public func history() -> [CommitRecord] {
        generations().compactMap { try? load(generation: $0).commit }
    }

    /// Runs `body` holding the commit lock (flock on `config/lock`), waiting up to `timeout`.
    public func withLock<T>(timeout: Duration = .seconds(10), _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        let fd = open(home.lockFile.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o660)
        guard fd >= 0 else { throw StoreError.io("open \(home.lockFile.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, clock.now < deadline else {
                throw StoreError.locked
            }
            usleep(10_000)
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}

/// The instants inside a commit, for fault injection.
public enum CommitStep: Sendable, Hashable, CustomStringConvertible {
    case locked
    /// Writing `confirm.json` of a `commit confirmed`, before the generation becomes current.
    case confirm(DurableFile.Step)
    case history(DurableFile.Step)
    case current(DurableFile.Step)
    case logged

    public static var all: [CommitStep] {
        [.locked] + DurableFile.Step.allCases.map { .confirm($0) } + DurableFile.Step.allCases.map { .history($0) } + DurableFile.Step.allCases.map { .current($0) }
            + [.logged]
    }

    /// `history-temp-written`, `current-renamed`: the names `POSTERN_COMMIT_FAULT` takes.
    public var description: String {
        switch self {
        case .locked: return "locked"
        case .confirm(let step): return "confirm-" + step.rawValue
        case .history(let step): return "history-" + step.rawValue
        case .current(let step): return "current-" + step.rawValue
        case .logged: return "logged"
        }
    }
}

/// Why the store could not do what was asked, as the CLI says it.
public enum StoreError: Error, CustomStringConvertible, Sendable {
    case missing(String)
    case unreadable(String, ConfigProblems)
    case invalid(ConfigProblems)
    case conflict(base: Int, current: CommitRecord)
    case locked
    case io(String)
    /// `recover` was asked for while current.json reads fine.
    case intact
    /// A request the store will not carry out (an account that does not exist, a password
    /// the policy refuses); the sentence says why.
    case refused(String)

    public var description: String {
        switch self {
        case .missing(let path):
            return "There is no configuration at \(path)."
        case .unreadable(let path, let problems):
            var text = "The configuration \(path) cannot be read:\n\(problems)"
            if path.hasSuffix("/current.json") {
                // Written only by rename, so something outside Postern changed it; say how to recover.
                text += "\nEvery committed generation is also kept in config/history/. `postern -c recoverconfig` "
                    + "(over SSH: ssh <admin>@<appliance> recoverconfig) commits the newest one that reads back "
                    + "again. A running engine keeps serving the configuration it last loaded."
            }
            return text
        case .invalid(let problems):
            return problems.description
        case .conflict(let base, let current):
            return "Error: the configuration was changed by another user since this session started "
                + "(generation \(base) -> \(current.generation), committed by \(current.user) from \(current.source) "
                + "at \(current.time.formatted(.iso8601)): \"\(current.comment)\")."
        case .locked:
            return "Another commit is in progress; try again in a moment."
        case .io(let detail):
            return "The configuration could not be written: \(detail)"
        case .intact:
            return "The committed configuration reads back; there is nothing to recover. "
                + "Use rollbackconfig to go back to an earlier generation."
        case .refused(let reason):
            return reason
        }
    }
}
