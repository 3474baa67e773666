/// `--port-filter vid=0x303A,pid=0x1001,name=ttyACM,serial=7c98`: which ports may be chosen. As esptool's: a
/// port must pass every kind of filter given; within one kind any listed value will do. VID and PID compare as
/// numbers, name (the device path) and serial as case-insensitive substrings.
public struct PortFilter: Sendable, Hashable {
    public var vids: [UInt16] = []
    public var pids: [UInt16] = []
    public var names: [String] = []
    public var serials: [String] = []

    public init() {}

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Adds `KEY=VALUE` terms; each text may hold several separated by commas.
    public init(parsing texts: [String]) throws(ParseError) {
        for text in texts {
            for term in text.split(separator: ",", omittingEmptySubsequences: true) {
                try add(String(term))
            }
        }
    }

    public mutating func add(_ term: String) throws(ParseError) {
        let parts = term.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw ParseError(description: "port filter '\(term)' must be KEY=VALUE with KEY vid, pid, name or serial")
        }
        let value = parts[1]
        switch parts[0].lowercased() {
        case "vid": vids.append(try Self.number(value, term))
        case "pid": pids.append(try Self.number(value, term))
        case "name": names.append(value)
        case "serial": serials.append(value)
        default:
            throw ParseError(description: "port filter '\(term)': unknown key '\(parts[0])' (use vid, pid, name or serial)")
        }
    }

    /// `0x303A`, `303A`-style hex is what users copy from `list-ports`; plain decimal is accepted too when it
    /// cannot be hex (esptool takes Python int literals: `0x303A` or decimal).
    private static func number(_ text: String, _ term: String) throws(ParseError) -> UInt16 {
        let lower = text.lowercased()
        let value: Int? = lower.hasPrefix("0x") ? Int(lower.dropFirst(2), radix: 16) : Int(lower, radix: 10)
        guard let value, let id = UInt16(exactly: value) else {
            throw ParseError(description: "port filter '\(term)': '\(text)' is not a 16-bit number (like 0x303A)")
        }
        return id
    }

    public var isEmpty: Bool { vids.isEmpty && pids.isEmpty && names.isEmpty && serials.isEmpty }

    public func matches(_ port: SerialPortInfo) -> Bool {
        if !vids.isEmpty, !(port.vid.map(vids.contains) ?? false) { return false }
        if !pids.isEmpty, !(port.pid.map(pids.contains) ?? false) { return false }
        if !names.isEmpty, !names.contains(where: { port.path.lowercased().contains($0.lowercased()) }) { return false }
        if !serials.isEmpty {
            let serial = port.serialNumber?.lowercased() ?? ""
            if !serials.contains(where: { serial.contains($0.lowercased()) }) { return false }
        }
        return true
    }
}

/// Choosing the port when none is given: exactly one ESP-looking port (after the filter) is taken; none or
/// several is the caller's error to report, with the ports it saw.
public enum PortChoice: Sendable, Equatable {
    case chosen(SerialPortInfo)
    /// No ESP-looking port passed the filter; `all` is every port the filter let through (maybe some that do not
    /// look like ESP ports).
    case none(all: [SerialPortInfo])
    case several([SerialPortInfo])

    /// With a filter, any port it lets through counts (the user said what they want); without one, only ports
    /// that look like an ESP bridge or ESP USB port.
    public static func choose(from ports: [SerialPortInfo], filter: PortFilter) -> PortChoice {
        let passing = ports.filter(filter.matches)
        let candidates = filter.isEmpty ? passing.filter(\.isESPCandidate) : passing
        switch candidates.count {
        case 0: return .none(all: passing)
        case 1: return .chosen(candidates[0])
        default: return .several(candidates)
        }
    }
}
