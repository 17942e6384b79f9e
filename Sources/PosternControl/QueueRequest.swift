import Foundation
import PosternConfig
import PosternSpool
import PosternStore

/// An administrator's request about queued mail (`deleterecipients`, `bouncerecipients`,
/// `deliverynow`). The CLI writes it to `queue/requests/`; the engine, which owns the queue,
/// applies it between deliveries and answers with a `.done` file.
public struct QueueRequest: Codable, Hashable, Sendable {
    public enum Action: String, Codable, Sendable {
        case delete, bounce, retry
    }

    public var id: String
    public var action: Action
    /// One message, or all.
    public var mid: Int?
    /// `joe@example.com`, `@example.com` (a domain), or nil for every recipient.
    public var recipient: String?
    public var user: String

    public init(action: Action, mid: Int?, recipient: String?, user: String) {
        self.id = UUID().uuidString.lowercased()
        self.action = action
        self.mid = mid
        self.recipient = recipient
        self.user = user
    }

    public func matches(_ address: String) -> Bool {
        guard let recipient = recipient?.lowercased() else { return true }
        let address = address.lowercased()
        if recipient.hasPrefix("@") { return address.hasSuffix(recipient) }
        return address == recipient
    }

    public struct Answer: Codable, Sendable {
        public var changed: Int

        public init(changed: Int) { self.changed = changed }
    }

    public static func directory(_ queue: URL) -> URL { queue.appendingPathComponent("requests", isDirectory: true) }

    /// Writes the request, then waits (bounded) for the engine's answer: the number of
    /// recipients changed, or nil when none came.
    public func submit(home: Home, timeout: Duration = .seconds(10)) throws -> Int? {
        let directory = QueueRequest.directory(home.queueDirectory)
        try SharedDirectory.create(directory)
        try DurableFile.write(try JSONCoding.compact.encode(self), to: directory.appendingPathComponent("\(id).json"),
                              mode: 0o660)
        let answer = directory.appendingPathComponent("\(id).done")
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let data = try? Data(contentsOf: answer), let decoded = try? JSONCoding.decoder.decode(Answer.self, from: data) {
                unlink(answer.path)
                return decoded.changed
            }
            usleep(20_000)
        }
        return nil
    }
}
