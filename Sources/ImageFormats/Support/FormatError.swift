/// Where in an input a problem was found. Every field is optional: a CSV error has a line and usually a field,
/// a binary error has a byte offset.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// 1-based physical line number in a text input.
    public var line: Int?
    /// Column or field name, as the user knows it (`Offset`, `Size`, `uuid`...).
    public var field: String?
    /// Byte offset in a binary input.
    public var byteOffset: Int?

    public init(line: Int? = nil, field: String? = nil, byteOffset: Int? = nil) {
        self.line = line
        self.field = field
        self.byteOffset = byteOffset
    }

    public var description: String {
        var parts: [String] = []
        if let line { parts.append("line \(line)") }
        if let byteOffset { parts.append("byte 0x" + String(byteOffset, radix: 16)) }
        if let field { parts.append("field '\(field)'") }
        return parts.joined(separator: ", ")
    }
}

/// The one error type of `ImageFormats`: a stable code (`partition_table.overlap`), where it happened, what is
/// wrong and, when there is an obvious fix, a hint naming it. Errors compare by code only.
public struct FormatError: Error, Sendable, Hashable, CustomStringConvertible {
    public let code: Code
    public var location: SourceLocation
    public let message: String
    public let help: String?

    public init(_ code: Code, _ message: String, at location: SourceLocation = SourceLocation(), help: String? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.help = help
    }

    public var description: String {
        let loc = location.description
        return loc.isEmpty ? "\(code): \(message)" : "\(code) at \(loc): \(message)"
    }

    /// Returns a copy with a location filled in where this error had none.
    public func located(line: Int? = nil, field: String? = nil, byteOffset: Int? = nil) -> FormatError {
        var copy = self
        if copy.location.line == nil { copy.location.line = line }
        if copy.location.field == nil { copy.location.field = field }
        if copy.location.byteOffset == nil { copy.location.byteOffset = byteOffset }
        return copy
    }

    public static func == (lhs: FormatError, rhs: FormatError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// A namespaced, stable error code. New codes are added as static members next to the format they belong to.
    public struct Code: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }
        public var description: String { rawValue }
    }
}

/// A non-fatal finding (the original tools print these as `WARNING:` lines and carry on).
public struct FormatWarning: Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public let location: SourceLocation

    public init(_ message: String, at location: SourceLocation = SourceLocation()) {
        self.message = message
        self.location = location
    }

    public var description: String { message }
}
