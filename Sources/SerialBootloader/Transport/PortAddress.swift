import ImageFormats

/// A PORT argument: a serial device path, `socket://HOST:PORT`, `rfc2217://HOST:PORT` or
/// `virtual://CHIP[?KEY=VALUE&...]`.
public enum PortAddress: Sendable, Equatable {
    case serial(path: String)
    case socket(host: String, port: UInt16)
    case rfc2217(host: String, port: UInt16)
    /// An emulated chip in this process. Only the form is checked here; the `PortOpener` that serves it
    /// (ChipEmulator's) decides which chips and options it takes.
    case virtual(VirtualPortAddress)

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public init(parsing text: String) throws(ParseError) {
        func hostPort(_ rest: Substring, scheme: String) throws(ParseError) -> (String, UInt16) {
            let withoutQuery = rest.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
            guard let colon = withoutQuery.lastIndex(of: ":"), let port = UInt16(withoutQuery[withoutQuery.index(after: colon)...]),
                  colon != withoutQuery.startIndex else {
                throw ParseError(description: "\(scheme):// needs HOST:PORT, like \(scheme)://127.0.0.1:5555")
            }
            var host = String(withoutQuery[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            return (host, port)
        }
        if text.hasPrefix("socket://") {
            let (h, p) = try hostPort(text.dropFirst("socket://".count), scheme: "socket")
            self = .socket(host: h, port: p)
        } else if text.hasPrefix("rfc2217://") {
            let (h, p) = try hostPort(text.dropFirst("rfc2217://".count), scheme: "rfc2217")
            self = .rfc2217(host: h, port: p)
        } else if text.hasPrefix("virtual://") {
            self = .virtual(try VirtualPortAddress(parsing: text.dropFirst("virtual://".count)))
        } else if text.contains("://") {
            throw ParseError(description: "unknown port scheme in '\(text)' (use a device path, socket://, rfc2217:// or virtual://)")
        } else {
            self = .serial(path: text)
        }
    }

    public var description: String {
        switch self {
        case .serial(let path): path
        case .socket(let host, let port): "socket://\(host):\(port)"
        case .rfc2217(let host, let port): "rfc2217://\(host):\(port)"
        case .virtual(let address): address.description
        }
    }
}

/// `virtual://CHIP?KEY=VALUE&KEY=VALUE`: the chip and the options in the order given (a key may repeat, as
/// `fault=` does).
public struct VirtualPortAddress: Sendable, Equatable {
    public struct Option: Sendable, Equatable {
        public let key: String
        public let value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    public let chip: Chip
    public let options: [Option]

    public init(chip: Chip, options: [Option] = []) {
        self.chip = chip
        self.options = options
    }

    init(parsing rest: Substring) throws(PortAddress.ParseError) {
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let chipName = parts.first.map(String.init) ?? ""
        guard let chip = Chip(rawValue: chipName), chip.loader != nil else {
            throw PortAddress.ParseError(description: "virtual://CHIP: unknown chip '\(chipName)' ("
                                         + Chip.flasherChips.map(\.rawValue).joined(separator: ", ") + ")")
        }
        var options: [Option] = []
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2, !kv[0].isEmpty else {
                    throw PortAddress.ParseError(description: "virtual:// option '\(pair)' must be KEY=VALUE")
                }
                options.append(Option(key: kv[0], value: kv[1]))
            }
        }
        self.init(chip: chip, options: options)
    }

    /// The last value given for `key`.
    public func value(_ key: String) -> String? { options.last { $0.key == key }?.value }

    /// Every value given for `key`, in order.
    public func values(_ key: String) -> [String] { options.filter { $0.key == key }.map(\.value) }

    public var description: String {
        "virtual://\(chip.rawValue)" + (options.isEmpty ? "" : "?" + options.map { "\($0.key)=\($0.value)" }.joined(separator: "&"))
    }
}
