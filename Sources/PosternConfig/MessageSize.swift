/// Sizes as the CLI writes them: `10M`, `512k`, or bytes.
public enum MessageSize {
    public static func parse(_ text: String) -> Int? {
        let t = text.trimmingWhitespace()
        guard let last = t.last else { return nil }
        var multiplier = 1
        var digits = Substring(t)
        switch last {
        case "k", "K": multiplier = 1024; digits = digits.dropLast()
        case "m", "M": multiplier = 1024 * 1024; digits = digits.dropLast()
        default: break
        }
        guard let value = Int(digits), value > 0 else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow || bytes > Int(Int32.max) ? nil : bytes
    }

    public static func format(_ bytes: Int) -> String {
        if bytes % (1024 * 1024) == 0 { return "\(bytes / (1024 * 1024))M" }
        if bytes % 1024 == 0 { return "\(bytes / 1024)k" }
        return String(bytes)
    }
}
