import Foundation
import PosternConfig
import PosternControl
import PosternSMTPCore
import PosternSpool
import PosternStore

extension QueueRunner {
    // MARK: Outcomes

    func connectionDone(domain: String, jobs: [(mid: Int, rids: [Int])],
                        outcomes: [Int: [Int: SMTPClientSession.Outcome]], dcid: Int?) {
        active[domain, default: 1] -= 1
        if active[domain] == 0 { active[domain] = nil }
        for (i, job) in jobs.enumerated() {
            guard var entry = messages[job.mid] else { continue }
            var delivered: [Int] = []
            var response = ""
            for rid in job.rids {
                switch outcomes[i]?[rid] ?? .deferred("no answer", enhanced: "4.4.2") {
                case .delivered(let reply):
                    entry.state.recipients[rid].status = .delivered
                    entry.state.recipients[rid].detail = reply.text
                    delivered.append(rid)
                    response = reply.text
                case .failed(let reply):
                    let enhanced = reply.enhancedCode ?? "5.0.0"
                    entry.state.recipients[rid].status = .bounced
                    entry.state.recipients[rid].detail = reply.text
                    entry.state.recipients[rid].enhanced = enhanced
                    entry.state.recipients[rid].remote = dcid == nil ? nil : domain
                    services.mailLog.write(.bounced(dcid: dcid, mid: job.mid, rid: rid, enhanced: enhanced,
                                                    reason: dcid == nil ? reply.lines.joined(separator: " ")
                                                        : "Bounced by the receiving server",
                                                    reply: "'\(reply.code)', \(reply.lines)"))
                case .deferred(let reason, let enhanced):
                    entry.state.recipients[rid].detail = reason
                    deferredThisRound.insert(job.mid)
                    services.mailLog.write(.delayed(dcid: dcid, mid: job.mid, rid: rid, enhanced: enhanced, reason: reason))
                }
            }
            if !delivered.isEmpty {
                if !response.isEmpty { services.mailLog.write(.response(mid: job.mid, rids: delivered, text: response)) }
                if let dcid { services.mailLog.write(.messageDone(dcid: dcid, mid: job.mid, rids: delivered)) }
            }
            messages[job.mid] = entry
            inFlight[job.mid, default: 1] -= 1
            if inFlight[job.mid] == 0 {
                inFlight[job.mid] = nil
                completeRound(job.mid)
            }
        }
        tick()
    }

    func completeRound(_ mid: Int) {
        guard var entry = messages[mid], let runtime else { return }
        if entry.state.pending.isEmpty {
            finalize(mid)
            return
        }
        if deferredThisRound.remove(mid) != nil {
            entry.state.attempts += 1
            let delay = runtime.configuration.bounce.retryDelay(afterAttempt: entry.state.attempts)
            entry.state.nextAttempt = Date().addingTimeInterval(TimeInterval(delay))
        }
        messages[mid] = entry
        do { try spool.save(entry.state, of: mid) } catch {
            logger.error("cannot save the delivery state", metadata: ["mid": "\(mid)", "error": "\(error)"])
        }
    }

    // MARK: Finishing

    /// Every recipient has its outcome: bounce the failed ones to the sender, then drop the message.
    /// The bounce is stored asynchronously: the runner's queue never waits on the spool, so a
    /// broken disk defers bounces (retried at the next tick) instead of stopping delivery and
    /// shutdown with it.
    func finalize(_ mid: Int) {
        guard let entry = messages[mid], let runtime, !bouncing.contains(mid) else { return }
        let failed = entry.state.recipients.filter { $0.status == .bounced }
        guard failed.isEmpty || entry.envelope.sender.isEmpty || entry.state.bounceQueued
            || !runtime.configuration.bounce.sendBounces
        else {
            guard let bounceMID = services.ids.allocate(.mid) else {
                logger.error("cannot queue the bounce", metadata: ["mid": "\(mid)", "error": "no message ID can be reserved"])
                return  // try again at the next tick
            }
            bouncing.insert(mid)
            queueBounce(bounceMID, for: entry.envelope, failed: failed, hostname: runtime.hostname) { [self] result in
                queue.async { [self] in
                    bouncing.remove(mid)
                    switch result {
                    case .failure(let error):
                        logger.error("cannot queue the bounce", metadata: ["mid": "\(mid)", "error": "\(error)"])
                    case .success:
                        services.mailLog.write(.bounceQueued(mid: mid, bounceMID: bounceMID))
                        services.queued()
                        var state = messages[mid]?.state ?? entry.state
                        state.bounceQueued = true
                        messages[mid]?.state = state
                        do {
                            try spool.save(state, of: mid)
                        } catch {
                            // The bounce is queued; a restart before the state is saved sends it again.
                            logger.error("cannot save the delivery state", metadata: ["mid": "\(mid)", "error": "\(error)"])
                        }
                        finalize(mid)
                    }
                }
            }
            return
        }
        do {
            try spool.finish(mid)
            messages[mid] = nil
            let nullSender = !failed.isEmpty && entry.envelope.sender.isEmpty
            services.mailLog.write(.messageFinished(
                mid: mid, outcome: nullSender ? "done (bounces not sent for the null sender)" : "done"))
        } catch {
            logger.error("cannot remove a finished message", metadata: ["mid": "\(mid)", "error": "\(error)"])
        }
    }

    private func queueBounce(
        _ mid: Int, for envelope: Envelope, failed: [DeliveryState.Recipient], hostname: String,
        completion: @escaping @Sendable (Result<Void, any Error>) -> Void
    ) {
        let original = spool.entry(envelope.mid).flatMap { try? spool.read($0).message } ?? Data()
        let bounce = Bounce(mid: mid, original: envelope, originalMessage: original, failed: failed, hostname: hostname)
        let json: Data
        do { json = try JSONCoding.compact.encode(bounce.envelope) } catch { return completion(.failure(error)) }
        Array(bounce.message.utf8).withUnsafeBytes {
            spool.store(id: mid, envelope: json, prefix: Data(), body: $0) { result in
                completion(result.map { _ in () }.mapError { $0 })
            }
        }
    }

    // MARK: Requests from the CLI

    /// Applies an admin's request to the queued recipients matching it; returns how many changed.
    func apply(_ request: QueueRequest) -> Int {
        var changed = 0
        for mid in spool.entries().map(\.id) where inFlight[mid] == nil {
            guard var entry = load(mid) else { continue }
            if let wanted = request.mid, wanted != mid { continue }
            var touched = false
            for rid in entry.state.pending where request.matches(entry.state.recipients[rid].address) {
                switch request.action {
                case .delete:
                    entry.state.recipients[rid].status = .deleted
                    entry.state.recipients[rid].detail = "deleted by \(request.user)"
                case .bounce:
                    entry.state.recipients[rid].status = .bounced
                    entry.state.recipients[rid].enhanced = "5.0.0"
                    entry.state.recipients[rid].detail = "bounced by the administrator \(request.user)"
                    services.mailLog.write(.bounced(dcid: nil, mid: mid, rid: rid, enhanced: "5.0.0",
                                                    reason: "Bounced by the administrator", reply: "'000', []"))
                case .retry:
                    entry.state.nextAttempt = Date()
                }
                changed += 1
                touched = true
            }
            guard touched else { continue }
            messages[mid] = entry
            if entry.state.pending.isEmpty {
                finalize(mid)
            } else {
                try? spool.save(entry.state, of: mid)
            }
        }
        return changed
    }
}
