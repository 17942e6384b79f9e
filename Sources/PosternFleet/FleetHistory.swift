import Foundation
import PosternConfig
import PosternStore

extension FleetSync {
    /// Brings the fleet's older generations into this machine's history: each one etcd holds
    /// below `document`'s (within the configuration's history retention) that the local history
    /// lacks, with this machine's own settings in place (those of `document`, already applied),
    /// as it would have served it. A generation that cannot be read is left out, and the rest
    /// still come. Returns how many were written.
    @discardableResult
    public func fillHistory(below document: ConfigDocument) async throws -> Int {
        let local = ConfigStore(home: home)
        let newest = document.commit.generation
        let retention = document.configuration.historyRetention
        let have = Set(local.generations())
        let missing = try await store.generations().filter { number in
            number < newest && !have.contains(number) && (retention == 0 || number > newest - retention)
        }
        let mine = MachineOverrides(of: document.configuration)
        var written = 0
        for number in missing {
            guard let generation = try? await store.generation(number), generation.document.commit.generation == number
            else { continue }
            var older = generation.document
            older.configuration = mine.applied(to: older.configuration)
            if try local.recordHistory(older) { written += 1 }
        }
        return written
    }
}
