import Foundation
import NIOCore
import NIOEmbedded
import Testing
@testable import PosternEngine

/// Passes on whatever errors reach the end of the listening socket's pipeline.
private final class ErrorSink: ChannelInboundHandler {
    typealias InboundIn = Any
    var errors: [String] = []
    func errorCaught(context: ChannelHandlerContext, error: any Error) { errors.append("\(error)") }
}

@Suite struct DescriptorShortageTests {
    @Test func countsEachShortageAndWarnsOncePerBurst() throws {
        let registry = ConnectionRegistry()
        var warnings: [String] = []
        let sink = ErrorSink()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            DescriptorShortageRecorder(registry: registry, warn: { warnings.append($0) }))
        try channel.pipeline.syncOperations.addHandler(sink)

        channel.pipeline.fireErrorCaught(IOError(errnoCode: EMFILE, reason: "accept"))
        channel.pipeline.fireErrorCaught(IOError(errnoCode: ENFILE, reason: "accept"))

        #expect(registry.counters.connectionsRefusedForDescriptors == 2)
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("Connections refused: the engine is out of file descriptors") == true)
        #expect(sink.errors.isEmpty)
    }

    @Test func passesOtherErrorsOn() throws {
        let registry = ConnectionRegistry()
        let sink = ErrorSink()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(DescriptorShortageRecorder(registry: registry, warn: { _ in }))
        try channel.pipeline.syncOperations.addHandler(sink)

        channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNABORTED, reason: "accept"))

        #expect(registry.counters.connectionsRefusedForDescriptors == 0)
        #expect(sink.errors.count == 1)
    }

    @Test func raisesTheSoftLimitToTheHardLimit() throws {
        let limits = try #require(DescriptorLimit.raiseToHardLimit())
        #expect(limits.after >= limits.before)
        #expect(DescriptorLimit.current == limits.after)
    }
}

@Suite struct DescriptorBudgetTests {
    @Test(arguments: [(UInt64(96), 64), (1024, 896), (1_048_576, 917_504), (20, 0)])
    func keepsAReserve(limit: UInt64, budget: Int) {
        #expect(DescriptorLimit.connectionBudget(limit: limit) == budget)
    }

    @Test func refusesPastTheBudgetAndCountsIt() {
        let registry = ConnectionRegistry(descriptorBudget: 1)
        let first = EmbeddedChannel(), second = EmbeddedChannel()
        #expect(registry.open(channel: first, listener: "L", listenerLimit: 10, overallLimit: 10, generation: 1)
            == .admitted)
        #expect(registry.open(channel: second, listener: "L", listenerLimit: 10, overallLimit: 10, generation: 1)
            == .overallLimit)
        #expect(registry.counters.connectionsRefusedForDescriptors == 1)
        #expect(registry.counters.connectionsRefused == 1)
    }
}
