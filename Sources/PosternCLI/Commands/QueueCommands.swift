import Foundation
import PosternConfig
import PosternControl
import PosternSpool
import PosternStore

/// `showqueue` (AsyncOS `showrecipients`): the queued messages and where each recipient stands.
struct ShowQueueCommand: CLICommand {
    var name = "showqueue"
    let summary = "Show the messages in the delivery queue and their recipients."
    let takesArguments = false
    let usage = "showqueue\n    One block per queued message: MID, sender, received, attempts, next attempt, each recipient's state."

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let spool = Spool(directory: context.home.queueDirectory)
        let (entries, unreadable) = spool.listing()
        if context.session.base.configuration.delivery.suspended {
            context.dialog.say("Delivery is suspended (resumedel resumes it).")
        }
        if !unreadable.isEmpty {
            context.dialog.say("Warning: part of the queue cannot be read by this account, and its messages are not "
                + "listed (queue/segments: \(unreadable.joined(separator: "; "))).")
        }
        guard !entries.isEmpty || !unreadable.isEmpty else {
            context.dialog.say("The queue is empty.")
            return .ok
        }
        let decoder = JSONCoding.decoder
        for entry in entries {
            guard let (data, message) = try? spool.read(entry), let envelope = try? decoder.decode(Envelope.self, from: data)
            else {
                context.dialog.say("MID \(entry.id): cannot be read")
                continue
            }
            let state = spool.state(of: entry.id) ?? DeliveryState(recipients: envelope.recipients, now: envelope.receivedAt)
            context.dialog.say("MID \(entry.id)  from <\(envelope.sender)>  \(message.count) bytes  received "
                + "\(CommitCommand.format(envelope.receivedAt))  attempts \(state.attempts)"
                + (state.pending.isEmpty ? "" : "  next attempt \(CommitCommand.format(state.nextAttempt))"))
            for (rid, r) in state.recipients.enumerated() {
                context.dialog.say("  RID \(rid) <\(r.address)> \(r.status.rawValue)" + (r.detail.map { ": \($0)" } ?? ""))
            }
        }
        return .ok
    }
}

/// `deleterecipients`, `bouncerecipients`, `delivernow`: requests the engine applies to the queue.
struct QueueActionCommand: CLICommand {
    let name: String
    let action: QueueRequest.Action
    let summary: String
    var usage: String {
        """
        \(name)
            Asks which recipients: by domain, by address, by message (MID), or all.
        \(name) domain <example.com> | address <joe@example.com> | mid <n> | all
        """
    }

    static let delete = QueueActionCommand(name: "deleterecipients", action: .delete,
                                           summary: "Delete recipients from the queue (no bounce is sent).")
    static let bounce = QueueActionCommand(name: "bouncerecipients", action: .bounce,
                                           summary: "Bounce recipients in the queue back to their senders.")
    static let retry = QueueActionCommand(name: "delivernow", action: .retry,
                                          summary: "Retry queued recipients now instead of at their next attempt.")

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        let kind = try dialog.choose("Please select how you would like to choose the recipients:",
                                     items: ["By recipient domain.", "By recipient address.", "By message (MID).", "All."],
                                     default: 3, key: "by", names: ["domain", "address", "mid", "all"])
        var mid: Int?
        var recipient: String?
        switch kind {
        case 0:
            let domain = try dialog.text("Enter the recipient domain:", key: "domain", required: true)
            recipient = "@" + (domain.hasPrefix("@") ? String(domain.dropFirst()) : domain)
        case 1:
            recipient = try dialog.text("Enter the recipient address:", key: "address", required: true) {
                $0.contains("@") ? nil : DialogError("An email address is a localname, an @ and a domain.")
            }
        case 2:
            mid = try dialog.number("Enter the MID:", default: nil, range: 1...Int(Int32.max), key: "mid")
        default:
            if action != .retry {
                guard try dialog.yesNo("Are you sure you want to \(action == .delete ? "delete" : "bounce") every "
                                       + "queued recipient?", default: false, key: "confirm") else { return .ok }
            }
        }
        let request = QueueRequest(action: action, mid: mid, recipient: recipient, user: context.session.user)
        guard context.session.engine.runningEnginePID() != nil else {
            dialog.error("The engine is not running; the queue can only be changed while it runs.")
            return .failed
        }
        do {
            guard let changed = try request.submit(home: context.home) else {
                dialog.error("The engine has not answered; the request stays queued and will be applied.")
                return .failed
            }
            let verb = action == .delete ? "deleted" : action == .bounce ? "bounced" : "scheduled for delivery now"
            dialog.say("\(changed) recipient\(changed == 1 ? "" : "s") \(verb).")
            return .ok
        } catch {
            dialog.error("The request cannot be written: \(error)")
            return .failed
        }
    }
}

/// `suspenddel` and `resumedel`: hold delivery (mail is still accepted and queued) or resume it.
struct DeliverySwitchCommand: CLICommand {
    let name: String
    let suspend: Bool
    var summary: String { suspend ? "Suspend the delivery of queued mail." : "Resume the delivery of queued mail." }
    let takesArguments = false
    var usage: String { "\(name)\n    Staged like any change; commit applies it." }

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        context.configuration.delivery.suspended = suspend
        context.dialog.say(suspend ? "Delivery will be suspended when you commit; mail is still accepted and queued."
            : "Delivery will resume when you commit.")
        return .ok
    }
}
