import Dispatch
import Foundation
import Logging
import PosternCertificates
import PosternStore
import PosternTLS

/// Keeps the engine's session-ticket keys: loaded from the home at start, rotated on
/// schedule (`SessionTicketKeys.rotated`) and stored before they are used, so that a
/// ticket made before a reload or a restart still resumes. Runs on the engine's control
/// queue; handshakes read `keys` from any event loop.
final class TicketKeyRotation: @unchecked Sendable {
    // @unchecked: `timer` and `lifetime` are touched only on `queue`; `keys` locks itself.
    let keys = SessionTicketKeys()
    private let file: TicketKeyFile
    private let queue: DispatchQueue
    private let logger: Logger
    private var timer: DispatchSourceTimer?
    private var lifetime = 0

    init(home: Home, queue: DispatchQueue, logger: Logger) {
        self.file = TicketKeyFile(home: home)
        self.queue = queue
        self.logger = logger
        let (stored, problem) = file.load()
        if let problem { logger.warning("session ticket keys replaced: \(problem)") }
        keys.replace(stored)
    }

    /// Rotates for `lifetime` (the INBOUND ticket lifetime) and arms the next rotation. Call
    /// on the queue: at start and at every reload.
    func update(lifetime: Int) {
        self.lifetime = lifetime
        rotate()
    }

    func stop() {
        timer?.cancel()
        timer = nil
    }

    private func rotate() {
        let now = Int64(Date().timeIntervalSince1970)
        let before = keys.all
        let after = SessionTicketKeys.rotated(before, now: now, lifetime: lifetime)
        if after != before {
            do {
                // Stored first: a ticket must never be made with a key a restart would lose.
                try file.save(after)
                keys.replace(after)
                logger.info("session ticket keys rotated", metadata: ["keys": "\(after.count)"])
            } catch {
                // The keys in use stay; the next attempt is in a minute.
                logger.error("session ticket keys not rotated", metadata: ["error": "\(error)"])
                arm(after: 60)
                return
            }
        }
        let next = SessionTicketKeys.nextChange(after, lifetime: lifetime) ?? (now + Int64(lifetime))
        arm(after: max(1, next - now))
    }

    private func arm(after seconds: Int64) {
        timer?.cancel()
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .seconds(Int(seconds)))
        timer.setEventHandler { [weak self] in self?.rotate() }
        timer.resume()
        self.timer = timer
    }
}
