import Testing
@testable import PosternCLI

/// `-Press Any Key For More-` (asyncos-cli.md l.1087), without a terminal: the page size
/// follows the rows, any key shows the next page, `q` and Ctrl-C drop the rest until the next
/// prompt.
@Suite struct PagerTests {
    final class Recorder: Output {
        var text = ""
        var errors = ""
        func write(_ text: String) { self.text += text }
        func writeError(_ text: String) { errors += text }
        func flush() {}
    }

    static func lines(_ n: Int) -> String { (1...n).map { "line \($0)\n" }.joined() }

    /// A paging output on a terminal of `rows` rows answering `keys` in turn.
    static func paging(rows: Int, keys: [UInt8?]) -> (PagingOutput, Recorder, () -> Int) {
        let recorder = Recorder()
        var keys = keys
        var asked = 0
        let output = PagingOutput(base: recorder, rows: { rows }, readKey: {
            asked += 1
            return keys.isEmpty ? nil : keys.removeFirst()
        })
        return (output, recorder, { asked })
    }

    @Test func pagesSplitAtTheTerminalHeightLessThePromptRow() {
        var pager = Pager(rows: 5)
        let text = Substring(PagerTests.lines(10))
        let (now, rest) = pager.take(text)
        #expect(now == Substring(PagerTests.lines(4)))
        #expect(rest?.hasPrefix("line 5\n") == true)
        pager.nextPage()
        let (second, more) = pager.take(rest!)
        #expect(second.hasPrefix("line 5\n") && second.hasSuffix("line 8\n"))
        #expect(more == "line 9\nline 10\n")
    }

    @Test func shortOutputAndExactlyAPageAreNotPaged() {
        let (output, recorder, asked) = PagerTests.paging(rows: 5, keys: [])
        output.write(PagerTests.lines(4))
        #expect(recorder.text == PagerTests.lines(4))
        #expect(asked() == 0)
    }

    @Test func anyKeyShowsTheNextPage() {
        let (output, recorder, asked) = PagerTests.paging(rows: 4, keys: [UInt8(ascii: " "), UInt8(ascii: "x")])
        output.write(PagerTests.lines(8))
        #expect(asked() == 2)
        #expect(recorder.text.components(separatedBy: Pager.prompt).count == 3)
        #expect(recorder.text.hasSuffix("line 7\nline 8\n"))
    }

    @Test(arguments: [UInt8(ascii: "q"), UInt8(ascii: "Q"), 3, nil] as [UInt8?])
    func qOrCtrlCStopsUntilTheNextPrompt(key: UInt8?) {
        let (output, recorder, _) = PagerTests.paging(rows: 3, keys: [key])
        output.write(PagerTests.lines(6))
        output.write("more of the same command\n")
        #expect(!recorder.text.contains("line 3"))
        #expect(!recorder.text.contains("more of the same command"))
        output.startPage()
        output.write("the next prompt's question\n")
        #expect(recorder.text.hasSuffix("the next prompt's question\n"))
    }

    /// Output written in many small pieces (line by line, as commands print) pages the same.
    @Test func countsAcrossWrites() {
        let (output, recorder, asked) = PagerTests.paging(rows: 3, keys: [UInt8(ascii: " ")])
        for i in 1...4 { output.write("line \(i)\n") }
        #expect(asked() == 1)
        #expect(recorder.text.hasSuffix("line 3\nline 4\n"))
    }

    @Test func errorsAreNotPaged() {
        let (output, recorder, asked) = PagerTests.paging(rows: 2, keys: [])
        output.writeError(PagerTests.lines(5))
        #expect(recorder.errors == PagerTests.lines(5))
        #expect(asked() == 0)
    }
}
