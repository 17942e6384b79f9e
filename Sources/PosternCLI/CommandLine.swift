/// Splitting what the admin typed: commands on `;`, words on blanks, with double or single
/// quotes and backslash escapes (`commit "rotate ciphers" Y`).
public enum CommandLineSyntax {
    /// `cmd1; cmd2` → ["cmd1", "cmd2"], leaving `;` inside quotes alone.
    public static func splitCommands(_ text: String) -> [String] {
        var commands: [String] = []
        var current = ""
        var quote: Character?
        var escaped = false
        for c in text {
            if escaped {
                current.append(c)
                escaped = false
                continue
            }
            switch c {
            case "\\":
                current.append(c)
                escaped = true
            case "\"", "'":
                if quote == nil { quote = c } else if quote == c { quote = nil }
                current.append(c)
            case ";" where quote == nil:
                commands.append(current)
                current = ""
            default:
                current.append(c)
            }
        }
        commands.append(current)
        return commands.map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
    }

    public enum Failure: Error, Equatable {
        case unterminatedQuote
    }

    /// Words of one command; quotes group, backslash escapes the next character.
    public static func words(_ text: String) -> Result<[String], Failure> {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in text {
            if escaped {
                current.append(c)
                escaped = false
                inWord = true
                continue
            }
            if c == "\\" && quote != "'" {
                escaped = true
                continue
            }
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
                continue
            }
            switch c {
            case "\"", "'":
                quote = c
                inWord = true
            case " ", "\t":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            default:
                current.append(c)
                inWord = true
            }
        }
        if quote != nil { return .failure(.unterminatedQuote) }
        if inWord || escaped { words.append(current) }
        return .success(words)
    }
}
