import COpenSSL
import Foundation
import Logging
import PosternConfig
import PosternStore

/// The fleet's configuration in etcd: commits as one txn, reads of the current generation,
/// the members' reports (DESIGN.md, "A fleet (etcd)").
public struct FleetStore: Sendable {
    public let client: EtcdClient
    public let keys: FleetKeys

    public init(client: EtcdClient, fleet: String) {
        self.client = client
        keys = FleetKeys(fleet: fleet)
    }

    /// The current pointer and the revision it was written at; nil before the first commit.
    public func current() async throws -> (pointer: FleetPointer, modRevision: Int64)? {
        let response = try await client.range(RangeRequest(key: keys.current))
        guard let kv = response.kvs.first else { return nil }
        return (try decode(FleetPointer.self, kv.value), kv.modRevision.value)
    }

    /// One generation of the fleet's history.
    public func generation(_ number: Int) async throws -> FleetGeneration? {
        guard let value = try await generationValue(number) else { return nil }
        return try decode(FleetGeneration.self, value)
    }

    /// One generation's value as etcd holds it, not yet read: what the pointer's sha256 covers.
    public func generationValue(_ number: Int) async throws -> Data? {
        try await client.range(RangeRequest(key: keys.generation(number))).kvs.first?.value
    }

    /// The generation `pointer` names, checked against it: present, the bytes the pointer's
    /// SHA-256 names, readable, and the same generation and commit id. A damaged document is
    /// a reason in words (the member keeps serving what it has and says this), never a crash.
    public func verifiedGeneration(_ pointer: FleetPointer) async throws -> Result<FleetGeneration, DamagedGeneration> {
        guard let value = try await generationValue(pointer.generation) else {
            return .failure(DamagedGeneration("config/current names generation \(pointer.generation), which etcd does not hold"))
        }
        let digest = Self.sha256(value)
        guard digest == pointer.sha256 else {
            return .failure(DamagedGeneration("generation \(pointer.generation) in etcd is damaged: its SHA-256 is \(digest), "
                + "config/current says \(pointer.sha256)"))
        }
        let generation: FleetGeneration
        do { generation = try CanonicalJSON.decode(FleetGeneration.self, from: value) } catch {
            return .failure(DamagedGeneration("generation \(pointer.generation) in etcd cannot be read: \(error)"))
        }
        guard generation.document.commit.generation == pointer.generation, generation.id == pointer.id else {
            return .failure(DamagedGeneration("generation \(pointer.generation) in etcd holds generation "
                + "\(generation.document.commit.generation) of commit \(generation.id), not commit \(pointer.id)"))
        }
        return .success(generation)
    }

    /// Every generation number the fleet keeps, oldest first.
    public func generations() async throws -> [Int] {
        var request = RangeRequest.prefix(keys.generationsPrefix)
        request.keysOnly = true
        let prefix = keys.generationsPrefix.count
        return try await client.range(request).kvs.compactMap { Int(String(decoding: $0.key.dropFirst(prefix), as: UTF8.self)) }
    }

    public func overrides(_ machine: String) async throws -> MachineOverrides? {
        guard let kv = try await client.range(RangeRequest(key: keys.overrides(machine))).kvs.first else { return nil }
        return try decode(MachineOverrides.self, kv.value)
    }

    public func setOverrides(_ overrides: MachineOverrides, machine: String) async throws {
        _ = try await client.put(PutRequest(key: keys.overrides(machine), value: try CanonicalJSON.encode(overrides)))
    }

    /// The members whose engines are running (their keys live under leases).
    public func members() async throws -> [MemberStatus] {
        try await client.range(RangeRequest.prefix(keys.membersPrefix)).kvs.compactMap {
            try? decode(MemberStatus.self, $0.value)
        }
    }

    /// The outcome of a commit: the new pointer, or the commit that got there first.
    public enum CommitOutcome: Sendable, Equatable {
        case committed(FleetPointer)
        case conflict(FleetPointer)
    }

    /// Commits `document` (its generation = base + 1) as one txn: `current` must still be at the
    /// revision it had when read and the generation key must not exist; both are written with
    /// the committer's per-machine settings. A lost answer is resolved by reading `current`
    /// and looking for this commit's id, never by sending it again blind.
    public func commit(_ document: ConfigDocument, machine: String, id: String = UUID().uuidString,
                       overrides others: [String: MachineOverrides] = [:], files: [String: Data] = [:]) async throws
        -> CommitOutcome
    {
        let digests = files.mapValues(Self.sha256)
        let generation = FleetGeneration(id: id, machine: machine, document: document, files: digests.isEmpty ? nil : digests)
        let value = try CanonicalJSON.encode(generation)
        if let problem = FleetLimits.sizeProblem(value.count) { throw StoreError.invalid(ConfigProblems([problem])) }
        let record = document.commit
        let pointer = FleetPointer(
            generation: record.generation, id: id, machine: machine, user: record.user, source: record.source,
            comment: record.comment, time: record.time, sha256: Self.sha256(value))
        // The committer's own settings, and any other machine's the commit changes (clusterconfig MACHINES).
        var overrides = others
        overrides[machine] = MachineOverrides(of: document.configuration)
        let overridePuts = try overrides.keys.sorted().map { name in
            RequestOp.put(PutRequest(key: keys.overrides(name), value: try CanonicalJSON.encode(overrides[name]!)))
        }
        // Content-addressed: the same bytes under the same key, so rewriting one is harmless.
        let filePuts = Set(digests.values).sorted().map { digest in
            RequestOp.put(PutRequest(key: keys.file(sha256: digest), value: files.first { Self.sha256($0.value) == digest }!.value))
        }
        if let problem = FleetLimits.sizeProblem(value.count + files.values.reduce(0) { $0 + $1.count }) {
            throw StoreError.invalid(ConfigProblems([problem]))
        }
        for _ in 0..<3 {
            let read = try await current()
            let revision = read?.modRevision ?? 0
            if let winner = read?.pointer, winner.generation != record.parent { return .conflict(winner) }
            let txn = TxnRequest(
                compare: [.modRevision(keys.current, equals: revision), .createRevision(keys.generation(record.generation), equals: 0)],
                success: [
                    .put(PutRequest(key: keys.generation(record.generation), value: value)),
                    .put(PutRequest(key: keys.current, value: try CanonicalJSON.encode(pointer))),
                ] + overridePuts + filePuts,
                failure: [.range(RangeRequest(key: keys.current))])
            do {
                let response = try await client.txn(txn)
                if response.succeeded { return .committed(pointer) }
                if let kv = response.responses.first?.responseRange?.kvs.first {
                    return .conflict(try decode(FleetPointer.self, kv.value))
                }
                continue  // current vanished (deleted by hand): read again
            } catch let error as EtcdError where error.isAmbiguous {
                if let resolved = try await resolve(id: id, pointer: pointer, revision: revision) { return resolved }
                // Not applied and nothing else happened: the compare makes sending it again safe.
            }
        }
        throw EtcdError(kind: .ambiguous("three attempts left the commit unresolved"))
    }

    /// After a lost answer: did our txn happen? Reads until some endpoint answers.
    private func resolve(id: String, pointer: FleetPointer, revision: Int64) async throws -> CommitOutcome? {
        var lastError: (any Error)?
        for _ in 0..<10 {
            do {
                guard let read = try await current() else { return nil }
                if read.pointer.id == id { return .committed(pointer) }
                if read.modRevision == revision { return nil }
                // Someone moved current: either on top of ours (our generation key holds our id) or instead of it.
                if let ours = try await generation(pointer.generation), ours.id == id { return .committed(pointer) }
                return .conflict(read.pointer)
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        throw lastError ?? EtcdError(kind: .ambiguous("unresolved"))
    }

    func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        do { return try CanonicalJSON.decode(type, from: data) } catch {
            throw EtcdError(kind: .malformed("\(T.self): \(error)"))
        }
    }

    public static func sha256(_ data: Data) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBytes { bytes in
            _ = SHA256(bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count, &digest)
        }
        return digest.map { String(format: "%02x", $0) }.joined()
    }
}

extension FleetStore {
    /// Every machine's per-machine settings, by machine name.
    public func allOverrides() async throws -> [String: MachineOverrides] {
        let prefix = Data((keys.root + "machines/").utf8)
        var result: [String: MachineOverrides] = [:]
        for kv in try await client.range(RangeRequest.prefix(prefix)).kvs {
            let path = String(decoding: kv.key.dropFirst(prefix.count), as: UTF8.self)
            guard path.hasSuffix("/overrides"), let name = path.split(separator: "/").first.map(String.init),
                let overrides = try? decode(MachineOverrides.self, kv.value) else { continue }
            result[name] = overrides
        }
        return result
    }

    /// Machines that have per-machine settings in the fleet.
    public func machines() async throws -> [String] {
        let prefix = Data((keys.root + "machines/").utf8)
        var request = RangeRequest.prefix(prefix)
        request.keysOnly = true
        return try await client.range(request).kvs.compactMap {
            String(decoding: $0.key.dropFirst(prefix.count), as: UTF8.self).split(separator: "/").first.map(String.init)
        }
    }
}
