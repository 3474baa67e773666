import ImageFormats
import SerialBootloader

/// The ESP32 AT firmware as the emulator plays it, once `BootModel` has started an app: command lines in, the
/// firmware's output out, on the AT UART. No esp-at build can be had here, so any valid app image stands in for
/// esp-at.bin; what the firmware reports comes from that image (AT+GMR: its `esp_app_desc_t`) and from the flash
/// (at_customize.bin, factory_param). Pure state: `EmulatedModule` and `ATLinkSession` move the bytes.
///
/// Commands: AT, ATE0/ATE1, AT+RST, AT+RESTORE, AT+GMR, AT+SYSFLASH?/=, AT+FS (ERROR: no FAT filesystem is
/// modelled), AT+CIPSTAMAC?, AT+CIPAPMAC?, AT+UART_CUR?/=, AT+UART_DEF?/=, AT+SYSRAM?, AT+RFPOWER?, AT+SYSLOG?/=.
/// Anything else is ERROR (with `ERR CODE:0x01090000` after AT+SYSLOG=1), as for an unknown command.
public final class EmulatedATFirmware {
    /// Output forms: v1.2 (ESP-IDF before v3.3: three AT+GMR lines, `+SYSRAM:<free>`, RF power levels 0–11) or
    /// v2.x and later (`Bin version:` line, `+SYSRAM:<free>,<min>`, RF power in 0.25 dBm).
    public enum Dialect: Sendable { case v1, v2 }

    /// Something the module does after a reply has been sent.
    public enum Action: Sendable, Equatable {
        case restart
        /// The AT UART switches to this rate (AT+UART_CUR/DEF).
        case changeBaudRate(Int)
    }

    /// One reply: bytes for the host and what follows them.
    public struct Reply: Sendable, Equatable {
        public var bytes: [UInt8]
        public var action: Action?
    }

    public let device: EmulatedDevice
    public let app: BootedApp
    public let dialect: Dialect
    /// The UART the commands use (factory_param uart_port, else UART1).
    public let uartPort: Int
    /// The rate the AT UART runs at now.
    public private(set) var baudRate: Int
    /// AT+UART_DEF's stored configuration (kept for the module's life; the NVS partition is not modelled).
    public private(set) var savedUART: UARTSettings
    public private(set) var currentUART: UARTSettings
    public private(set) var echo = true
    var errorCodes = false
    private var line: [UInt8] = []
    var dataPhase: DataPhase?

    /// `AT+UART_*` values: baud, data bits, stop bits (1, 2 = 1.5, 3 = 2), parity, flow control (bit 0 RTS, 1 CTS).
    public struct UARTSettings: Sendable, Equatable {
        public var baudRate: Int
        public var dataBits = 8
        public var stopBits = 1
        public var parity = 0
        /// esp-at's `CONFIG_AT_UART_DEFAULT_FLOW_CONTROL` is 1 (RTS).
        public var flowControl = 1
    }

    struct DataPhase {
        var partition: PartitionEntry
        var offset: Int
        var remaining: Int
        var bytes: [UInt8]
    }

    /// Bytes one write command may carry: the firmware holds them in heap before writing (AT+SYSRAM's free heap).
    public static let freeHeap = 164_000
    public static let minimumFreeHeap = 148_000

    public init(device: EmulatedDevice, app: BootedApp) {
        self.device = device
        self.app = app
        self.dialect = Self.dialect(of: app.description)
        let settings = app.atLayout?.settings
        uartPort = settings?.effectiveUARTPort ?? FactoryParamSettings.defaultUARTPort
        baudRate = settings?.effectiveBaudRate ?? FactoryParamSettings.defaultBaudRate
        savedUART = UARTSettings(baudRate: baudRate)
        currentUART = savedUART
    }

    /// v1.2-era output for apps built with ESP-IDF before v3.3 (esp-at v1.x); v2 otherwise.
    static func dialect(of description: AppDescription?) -> Dialect {
        guard let idf = description?.idfVersion, idf.hasPrefix("v") else { return .v2 }
        let numbers = idf.dropFirst().split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return .v2 }
        return numbers[0] < 3 || (numbers[0] == 3 && numbers[1] < 3) ? .v1 : .v2
    }

    /// What the firmware prints when it is up.
    public func start() -> [UInt8] { Array("\r\nready\r\n".utf8) }

    /// Feeds bytes received on the AT UART; returns the replies they caused, in order.
    public func receive(_ bytes: [UInt8]) -> [Reply] {
        var replies: [Reply] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if dataPhase != nil {
                let taken = min(dataPhase!.remaining, bytes.endIndex - index)
                dataPhase!.bytes += bytes[index..<(index + taken)]
                dataPhase!.remaining -= taken
                index += taken
                if dataPhase!.remaining == 0 { replies.append(finishWrite()) }
                continue
            }
            let byte = bytes[index]
            index += 1
            guard byte == UInt8(ascii: "\n") else {
                if line.count < 1024 { line.append(byte) }
                continue
            }
            let text = String(decoding: line, as: UTF8.self)
            line.removeAll()
            var trimmed = Substring(text)
            while let l = trimmed.last, l == "\r" || l == " " { trimmed.removeLast() }
            guard !trimmed.isEmpty else { continue }
            // The line is echoed as it arrives, before it runs (so ATE0 itself is still echoed).
            let echoed = echo
            var reply = handle(command: String(trimmed))
            if echoed { reply.bytes = Array((text + "\n").utf8) + reply.bytes }
            replies.append(reply)
        }
        return replies
    }

    // MARK: - Commands

    func handle(command: String) -> Reply {
        guard command.hasPrefix("AT") else { return error(0x0103_0000) }
        switch command {
        case "AT": return ok()
        case "ATE0": echo = false; return ok()
        case "ATE1": echo = true; return ok()
        case "AT+RST": return Reply(bytes: okBytes, action: .restart)
        case "AT+RESTORE":
            savedUART = UARTSettings(baudRate: app.atLayout?.settings?.effectiveBaudRate ?? FactoryParamSettings.defaultBaudRate)
            return Reply(bytes: okBytes, action: .restart)
        case "AT+GMR": return ok(lines: versionLines())
        case "AT+SYSFLASH?": return ok(lines: (app.atLayout?.partitions ?? []).map(Self.listLine))
        case "AT+CIPSTAMAC?": return ok(lines: ["+CIPSTAMAC:\"\(macText(device.mac))\""])
        case "AT+CIPAPMAC?":
            var ap = device.mac
            ap[5] &+= 1
            return ok(lines: ["+CIPAPMAC:\"\(macText(ap))\""])
        case "AT+UART_CUR?": return ok(lines: ["+UART_CUR:" + uartText(currentUART, actual: true)])
        case "AT+UART_DEF?": return ok(lines: ["+UART_DEF:" + uartText(savedUART, actual: false)])
        case "AT+SYSRAM?":
            return ok(lines: [dialect == .v1 ? "+SYSRAM:\(Self.freeHeap)" : "+SYSRAM:\(Self.freeHeap),\(Self.minimumFreeHeap)"])
        case "AT+RFPOWER?": return ok(lines: ["+RFPOWER:" + rfPowerText()])
        case "AT+SYSLOG?" where dialect == .v2: return ok(lines: ["+SYSLOG:\(errorCodes ? 1 : 0)"])
        case "AT+SYSLOG=0" where dialect == .v2: errorCodes = false; return ok()
        case "AT+SYSLOG=1" where dialect == .v2: errorCodes = true; return ok()
        default: break
        }
        if let arguments = command.after("AT+SYSFLASH=") { return sysFlash(arguments) }
        if command.hasPrefix("AT+FS=") { return error(0x010A_0000) }  // no FAT filesystem is modelled
        if let arguments = command.after("AT+UART_CUR=") { return setUART(arguments, save: false) }
        if let arguments = command.after("AT+UART_DEF=") { return setUART(arguments, save: true) }
        return error(0x0109_0000)
    }

    var okBytes: [UInt8] { Array("\r\nOK\r\n".utf8) }

    func ok(lines: [String] = []) -> Reply {
        Reply(bytes: Array(lines.map { $0 + "\r\n" }.joined().utf8) + okBytes)
    }

    /// ERROR; with AT+SYSLOG=1 preceded by `ERR CODE:0x…` (category 0x01, subcategory, extension).
    func error(_ code: UInt32) -> Reply {
        let prefix = errorCodes ? "ERR CODE:0x\(code.hex8)\r\n" : ""
        return Reply(bytes: Array((prefix + "\r\nERROR\r\n").utf8))
    }

    static func listLine(_ e: PartitionEntry) -> String {
        "+SYSFLASH:\"\(e.name)\",\(e.type),\(e.subtype),0x\(String(e.offset, radix: 16)),0x\(String(e.size, radix: 16))"
    }

    func macText(_ mac: [UInt8]) -> String { mac.map(\.hex2).joined(separator: ":") }

    func versionLines() -> [String] {
        let chipName = app.chip.displayName
        guard let d = app.description else {
            let module = app.atLayout?.settings?.moduleName ?? "unknown"
            return ["AT version:unknown (no app description)", "SDK version:unknown (no app description)",
                    "compile time:unknown (no app description)"] + (dialect == .v2 ? ["Bin version:unknown(\(module))"] : [])
        }
        let commit = String(d.elfSHA256.prefix(4).map(\.hex2).joined().prefix(7))
        let built = "\(d.compileDate) \(d.compileTime)"
        switch dialect {
        case .v1:
            return ["AT version:\(d.version)(\(built))", "SDK version:\(d.idfVersion)", "compile time:\(built)"]
        case .v2:
            let module = app.atLayout?.settings?.moduleName ?? "unknown"
            return ["AT version:\(d.version)(\(commit) - \(chipName) - \(built))", "SDK version:\(d.idfVersion)",
                    "compile time(\(commit)):\(built)", "Bin version:\(d.version)(\(module))"]
        }
    }

    /// The rate the UART really runs at: the divider is 80 MHz × 16 / baud, truncated (AT+UART_CUR? prints this,
    /// 115201 for 115200, as ESP32 modules do).
    public static func actualBaudRate(_ baud: Int) -> Int {
        let clock = 80_000_000 * 16
        let divider = max(1, clock / max(baud, 1))
        return clock / divider
    }

    func uartText(_ u: UARTSettings, actual: Bool) -> String {
        "\(actual ? Self.actualBaudRate(u.baudRate) : u.baudRate),\(u.dataBits),\(u.stopBits),\(u.parity),\(u.flowControl)"
    }

    func setUART(_ arguments: String, save: Bool) -> Reply {
        let n = arguments.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(" ")) }
        guard n.count == 5, let baud = n[0], let bits = n[1], let stop = n[2], let parity = n[3], let flow = n[4],
              (80...5_000_000).contains(baud), (5...8).contains(bits), (1...3).contains(stop), (0...2).contains(parity),
              (0...3).contains(flow) else { return error(0x0107_0000) }
        let settings = UARTSettings(baudRate: baud, dataBits: bits, stopBits: stop, parity: parity, flowControl: flow)
        if save { savedUART = settings }
        currentUART = settings
        baudRate = baud
        return Reply(bytes: okBytes, action: .changeBaudRate(baud))
    }

    func rfPowerText() -> String {
        let power = app.atLayout?.settings?.txPower ?? 78
        guard dialect == .v2 else { return "0,0,0,0" }
        // ESP32 rounds down to its power levels; later chips report what was set (Basic AT Commands, AT+RFPOWER).
        let levels = [34, 44, 52, 56, 60, 66, 72, 78]
        let wifi = app.chip == .esp32 ? (levels.last { $0 <= max(power, 34) } ?? 34) : power
        return "\(wifi),5,5,5"
    }
}

extension String {
    func after(_ prefix: String) -> String? { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil }
}

extension Substring {
    func trimmingCharacters(_ c: Character) -> String {
        var s = self
        while s.first == c { s.removeFirst() }
        while s.last == c { s.removeLast() }
        return String(s)
    }
}
