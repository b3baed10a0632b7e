/// GitHub Actions workflow commands (`::name key=value::message`), escaped as the runner expects: in a message
/// `%`, `\r` and `\n` become `%25`, `%0D`, `%0A`; in a property also `:` and `,` (`%3A`, `%2C`).
public enum WorkflowCommand {
    /// `message` escaped for the data part of a command.
    public static func escapeData(_ message: String) -> String {
        var out = ""
        out.reserveCapacity(message.utf8.count)
        for scalar in message.unicodeScalars {
            switch scalar {
            case "%": out += "%25"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `value` escaped for a property (`title=…`).
    public static func escapeProperty(_ value: String) -> String {
        escapeData(value).replacingColonsAndCommas()
    }

    /// `::name k=v,…::message`.
    public static func format(_ name: String, properties: [(String, String)] = [], message: String) -> String {
        var line = "::" + name
        if !properties.isEmpty {
            line += " " + properties.map { "\($0.0)=\(escapeProperty($0.1))" }.joined(separator: ",")
        }
        return line + "::" + escapeData(message)
    }

    /// `::add-mask::value`: the runner replaces `value` by `***` in every later log line.
    public static func addMask(_ value: String) -> String { format("add-mask", message: value) }
    /// `::warning::message`.
    public static func warning(_ message: String, title: String? = nil) -> String {
        format("warning", properties: title.map { [("title", $0)] } ?? [], message: message)
    }
    /// `::error::message`.
    public static func error(_ message: String, title: String? = nil) -> String {
        format("error", properties: title.map { [("title", $0)] } ?? [], message: message)
    }
    /// `::notice::message`.
    public static func notice(_ message: String) -> String { format("notice", message: message) }
    /// `::group::title`.
    public static func group(_ title: String) -> String { format("group", message: title) }
    /// `::endgroup::`.
    public static let endGroup = "::endgroup::"
}

extension String {
    fileprivate func replacingColonsAndCommas() -> String {
        var out = ""
        for scalar in unicodeScalars {
            switch scalar {
            case ":": out += "%3A"
            case ",": out += "%2C"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
