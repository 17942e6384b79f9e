import Foundation
import PosternConfig

/// Each queued message's delivery state beside the queue (`queue/<MID>.state`).
extension Spool {
    func stateURL(_ id: Int) -> URL { directory.appendingPathComponent("\(id).state") }

    /// Where the recipients of message `id` stand, if it has been tried.
    public func state(of id: Int) -> DeliveryState? {
        guard let data = try? Data(contentsOf: stateURL(id)) else { return nil }
        return try? JSONCoding.decoder.decode(DeliveryState.self, from: data)
    }

    public func save(_ state: DeliveryState, of id: Int) throws {
        try DurableFile.write(try JSONCoding.compact.encode(state), to: stateURL(id), mode: 0o640, files: files)
    }
}
