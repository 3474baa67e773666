/// A PORT argument: a serial device path, `socket://HOST:PORT`, `rfc2217://HOST:PORT` or
/// `virtual://CHIP[?flash=FILE&size=4MB]`.
public enum PortAddress: Sendable, Equatable {
    case serial(path: String)
    case socket(host: String, port: UInt16)
    case rfc2217(host: String, port: UInt16)
    case virtual(chip: Chip, flashFile: String?, flashSize: Int)

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let description: String
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
            let rest = text.dropFirst("virtual://".count)
            let parts = rest.split(separator: "?", maxSplits: 1)
            guard let chipName = parts.first, let chip = Chip(rawValue: String(chipName)), RomProfile.profile(for: chip) != nil else {
                throw ParseError(description: "virtual:// emulates " + RomProfile.emulatedChips.map(\.rawValue).joined(separator: ", ")
                                 + "; got '\(parts.first ?? "")'")
            }
            var file: String?
            var size = 4 * 1024 * 1024
            if parts.count == 2 {
                for pair in parts[1].split(separator: "&") {
                    let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    guard kv.count == 2 else { throw ParseError(description: "virtual:// option '\(pair)' must be KEY=VALUE") }
                    switch kv[0] {
                    case "flash": file = kv[1]
                    case "size":
                        guard let s = IntegerTextBridge.size(kv[1]), s >= 0x10000, s & (s - 1) == 0 else {
                            throw ParseError(description: "virtual:// size '\(kv[1])' must be a power of two like 4MB")
                        }
                        size = s
                    default: throw ParseError(description: "unknown virtual:// option '\(kv[0])' (flash, size)")
                    }
                }
            }
            self = .virtual(chip: chip, flashFile: file, flashSize: size)
        } else if text.contains("://") {
            throw ParseError(description: "unknown port scheme in '\(text)' (use a device path, socket://, rfc2217:// or virtual://)")
        } else {
            self = .serial(path: text)
        }
    }
}

import ImageFormats

enum IntegerTextBridge {
    static func size(_ text: String) -> Int? { IntegerText.sizeOrAddress(text) }
}
