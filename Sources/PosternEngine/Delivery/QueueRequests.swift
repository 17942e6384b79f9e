import Foundation
import PosternConfig
import PosternControl
import PosternSpool
import PosternStore

/// Applies the CLI's queue requests (`queue/requests/*.json`) and answers each with a `.done` file.
enum QueueRequests {
    static func process(spool: Spool, runner: QueueRunner) {
        let directory = QueueRequest.directory(spool.directory)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name)
            defer { unlink(url.path) }
            guard let data = try? Data(contentsOf: url), let request = try? JSONCoding.decoder.decode(QueueRequest.self, from: data)
            else { continue }
            let changed = runner.apply(request)
            if let answer = try? JSONCoding.compact.encode(QueueRequest.Answer(changed: changed)) {
                try? DurableFile.write(answer, to: directory.appendingPathComponent("\(request.id).done"), mode: 0o660)
            }
        }
    }
}
