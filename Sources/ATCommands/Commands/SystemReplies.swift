/// AT+GMR, in both forms:
/// ```
/// AT version:1.2.0.0(Jul  1 2019 20:36:30)              v1.2: three lines
/// SDK version:v3.2-dev-1148-gddbce78b
/// compile time:Jul  1 2019 20:38:33
///
/// AT version:2.4.0.0(4c6eb5e - ESP32 - May 20 2022 03:12:44)   v2.x / v3.x: compile time with a commit,
/// SDK version:v4.3.2-553-g588436db47                           and the bin version with the module name
/// compile time(6c2a0a8):May 20 2022 03:12:44
/// Bin version:2.4.0(WROOM-32)
/// ```
public struct ATVersionInfo: Sendable, Equatable {
    /// Everything after `AT version:`.
    public var atVersionText: String?
    /// The version number before the parenthesis (`2.4.0.0`).
    public var atVersion: String?
    public var sdkVersion: String?
    public var compileTime: String?
    /// The commit in `compile time(…)` (v2.x and later).
    public var compileCommit: String?
    /// `Bin version:` up to the parenthesis (v2.x and later).
    public var binVersion: String?
    /// The module name in `Bin version:…(WROOM-32)`.
    public var moduleName: String?
    /// Every line, as sent.
    public var lines: [String]

    public init(lines: [String]) {
        self.lines = lines
        for line in lines {
            if let text = line.after("AT version:") {
                atVersionText = text
                atVersion = text.beforeParenthesis
            } else if let text = line.after("SDK version:") {
                sdkVersion = text
            } else if line.hasPrefix("compile time") {
                let rest = line.dropFirst("compile time".count)
                if rest.hasPrefix("("), let close = rest.firstIndex(of: ")") {
                    compileCommit = String(rest[rest.index(after: rest.startIndex)..<close])
                    compileTime = String(rest[rest.index(after: close)...]).after(":") ?? ""
                } else {
                    compileTime = String(rest).after(":")
                }
            } else if let text = line.after("Bin version:") {
                binVersion = text.beforeParenthesis
                moduleName = text.insideParenthesis
            }
        }
    }

    /// Whether `expected` names this firmware: the AT version number, the whole `AT version:` text, or the bin
    /// version.
    public func matches(_ expected: String) -> Bool {
        [atVersion, atVersionText, binVersion].contains { $0 == expected }
    }
}

public struct VersionRequest: ATRequest {
    public var commandLine: String { "AT+GMR" }
    public func parse(_ response: ATResponse) throws(ATError) -> ATVersionInfo {
        let info = ATVersionInfo(lines: response.lines)
        guard info.atVersionText != nil else { throw badReply("no 'AT version:' line", response) }
        return info
    }
}

/// `+CIPSTAMAC:"24:0a:c4:5e:00:01"` (quoted from v2.x; accepted unquoted too).
public struct StationMACRequest: ATRequest {
    public var commandLine: String { "AT+CIPSTAMAC?" }
    public func parse(_ response: ATResponse) throws(ATError) -> [UInt8] {
        guard let value = response.values(of: "+CIPSTAMAC").first, let mac = MACAddress.parse(ATFields.split(value)[0]) else {
            throw badReply("no +CIPSTAMAC:<mac> line", response)
        }
        return mac
    }
}

public enum MACAddress {
    /// `24:0a:c4:5e:00:01` (also with `-`); nil when it is not six hex bytes.
    public static func parse(_ text: String) -> [UInt8]? {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard part.count == 2, let b = UInt8(part, radix: 16) else { return nil }
            bytes.append(b)
        }
        return bytes
    }

    public static func text(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).leftPadded(2) }.joined(separator: ":")
    }
}

/// `+UART_CUR:115201,8,1,0,1`: baud rate (the real rate after clock division), data bits, stop bits (1: 1, 2: 1.5,
/// 3: 2), parity (0 none, 1 odd, 2 even), flow control (bit 0 RTS, bit 1 CTS).
public struct ATUARTConfig: Sendable, Equatable {
    public var baudRate: Int
    public var dataBits: Int
    public var stopBits: Int
    public var parity: Int
    public var flowControl: Int

    public init(baudRate: Int, dataBits: Int = 8, stopBits: Int = 1, parity: Int = 0, flowControl: Int = 0) {
        self.baudRate = baudRate
        self.dataBits = dataBits
        self.stopBits = stopBits
        self.parity = parity
        self.flowControl = flowControl
    }

    public var usesRTS: Bool { flowControl & 1 != 0 }
    public var usesCTS: Bool { flowControl & 2 != 0 }
    public var text: String { "\(baudRate),\(dataBits),\(stopBits),\(parity),\(flowControl)" }
}

public struct UARTQuery: ATRequest {
    public enum Which: String, Sendable { case current = "+UART_CUR", saved = "+UART_DEF" }
    public let which: Which
    public init(_ which: Which) { self.which = which }
    public var commandLine: String { "AT\(which.rawValue)?" }
    public func parse(_ response: ATResponse) throws(ATError) -> ATUARTConfig {
        guard let value = response.values(of: which.rawValue).first else { throw badReply("no \(which.rawValue): line", response) }
        let n = ATFields.split(value).compactMap { ATFields.integer($0) }
        guard n.count == 5 else { throw badReply("\(which.rawValue): needs 5 numbers, got '\(value)'", response) }
        return ATUARTConfig(baudRate: n[0], dataBits: n[1], stopBits: n[2], parity: n[3], flowControl: n[4])
    }
}

extension AT {
    /// `AT+UART_CUR=…` / `AT+UART_DEF=…`: the module answers OK at the old rate, then switches.
    public static func setUART(_ which: UARTQuery.Which, _ config: ATUARTConfig) -> ATPlainRequest {
        ATPlainRequest("AT\(which.rawValue)=\(config.text)")
    }
}

/// `+SYSRAM:<free>` (v1.2) or `+SYSRAM:<free>,<minimum ever free>` (v2.x and later).
public struct ATRAMStatus: Sendable, Equatable {
    public var free: Int
    public var minimumFree: Int?

    public init(free: Int, minimumFree: Int? = nil) {
        self.free = free
        self.minimumFree = minimumFree
    }
}

public struct RAMRequest: ATRequest {
    public var commandLine: String { "AT+SYSRAM?" }
    public func parse(_ response: ATResponse) throws(ATError) -> ATRAMStatus {
        guard let value = response.values(of: "+SYSRAM").first else { throw badReply("no +SYSRAM: line", response) }
        let n = ATFields.split(value).map { ATFields.integer($0) }
        guard let free = n.first ?? nil, n.count <= 2 else { throw badReply("+SYSRAM: '\(value)' is not <free>[,<minimum>]", response) }
        return ATRAMStatus(free: free, minimumFree: n.count == 2 ? n[1] : nil)
    }
}

/// `+RFPOWER:<wifi>[,<ble adv>,<ble scan>,<ble conn>]`. The Wi-Fi value is a level 0–11 in v1.2 and 0.25 dBm
/// units (40–84) from v2.x; ESP32-S2 and C2 report only Wi-Fi.
public struct ATRFPower: Sendable, Equatable {
    public var wifi: Int
    public var bleAdvertising: Int?
    public var bleScanning: Int?
    public var bleConnection: Int?

    public init(wifi: Int, bleAdvertising: Int? = nil, bleScanning: Int? = nil, bleConnection: Int? = nil) {
        self.wifi = wifi
        self.bleAdvertising = bleAdvertising
        self.bleScanning = bleScanning
        self.bleConnection = bleConnection
    }
}

public struct RFPowerRequest: ATRequest {
    public var commandLine: String { "AT+RFPOWER?" }
    public func parse(_ response: ATResponse) throws(ATError) -> ATRFPower {
        guard let value = response.values(of: "+RFPOWER").first else { throw badReply("no +RFPOWER: line", response) }
        let n = ATFields.split(value).map { ATFields.integer($0) }
        guard n.count == 1 || n.count == 4, !n.contains(where: { $0 == nil }) else {
            throw badReply("+RFPOWER: '\(value)' needs 1 or 4 numbers", response)
        }
        return ATRFPower(wifi: n[0]!, bleAdvertising: n.count == 4 ? n[1] : nil, bleScanning: n.count == 4 ? n[2] : nil,
                         bleConnection: n.count == 4 ? n[3] : nil)
    }
}

extension String {
    func after(_ prefix: String) -> String? { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil }
    var beforeParenthesis: String { String(prefix { $0 != "(" }).trimmingBlanks }
    var insideParenthesis: String? {
        guard let open = firstIndex(of: "("), let close = lastIndex(of: ")"), open < close else { return nil }
        return String(self[index(after: open)..<close])
    }
}
