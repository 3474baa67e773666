/// A recipe (or a file it names) that cannot be used: where, which key, what is wrong. The CLI prints
/// `error: FILE:LINE: key 'KEY': MESSAGE` (exit 2).
public struct RecipeError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    /// The TOML key (`unit.nvs.offset`, `port[1].path`) or CSV field the error is about.
    public var key: String?
    public var message: String
    public var help: String?
    /// Whether the problem is reading a file (exit 74) rather than what it says (exit 2).
    public var isIOError: Bool

    public init(file: String, line: Int? = nil, key: String? = nil, _ message: String, help: String? = nil, isIOError: Bool = false) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
        self.help = help
        self.isIOError = isIOError
    }

    /// `FILE:LINE: key 'KEY': MESSAGE`.
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let key { text += (key.contains(".") || key.contains("[") || !isCSVField ? "key" : "field") + " '\(key)': " }
        return text + message
    }

    /// CSV errors name a field (a column), recipe errors a key.
    private var isCSVField: Bool { file.hasSuffix(".csv") }
}
