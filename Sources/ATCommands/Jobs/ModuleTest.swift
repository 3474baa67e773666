import ImageFormats

/// What a production line checks on a flashed module over its AT UART: it boots to `ready`, AT answers, AT+GMR
/// names the expected firmware, AT+SYSFLASH? lists the expected at_customize.bin, the station MAC is the one read
/// in download mode, and the UART runs as the module's factory_param says.
public struct ATModuleTest {
    public struct Expectations: Sendable {
        public var version: String?
        /// at_customize.bin's entries, in order.
        public var layout: [PartitionEntry]?
        public var mac: [UInt8]?

        public init(version: String? = nil, layout: [PartitionEntry]? = nil, mac: [UInt8]? = nil) {
            self.version = version
            self.layout = layout
            self.mac = mac
        }
    }

    /// One check and its result.
    public struct Check: Sendable, Equatable {
        public enum Name: String, Sendable { case ready, at, version, layout, mac, uart }
        public var name: Name
        public var passed: Bool
        public var detail: String
    }

    public let client: ATClient
    public var onCheck: ((Check) -> Void)?
    /// Tries of a query whose answer was lost or garbled.
    public var retries = 2
    /// Told of each retry (attempt, what went wrong).
    public var onRetry: ((Int, ATError) -> Void)?

    public init(client: ATClient) {
        self.client = client
    }

    /// Runs every check in order; later checks still run after a failure, except when the module does not answer.
    public func run(_ expect: Expectations) -> [Check] {
        var checks: [Check] = []
        func record(_ name: Check.Name, _ passed: Bool, _ detail: String) {
            let check = Check(name: name, passed: passed, detail: detail)
            checks.append(check)
            onCheck?(check)
        }
        record(.ready, bootsToReady(), readyDetail)
        let answers = (try? client.send(AT.test, retries: retries, onRetry: onRetry)) != nil
        record(.at, answers, answers ? "AT answered OK" : "AT got no OK")
        guard answers else {
            for name in [Check.Name.version, .layout, .mac, .uart] { record(name, false, "not run: the module does not answer AT") }
            return checks
        }
        _ = try? client.send(AT.echo(false))
        let version = checkVersion(expect.version)
        record(.version, version.0, version.1)
        let layout = checkLayout(expect.layout)
        record(.layout, layout.0, layout.1)
        let mac = checkMAC(expect.mac)
        record(.mac, mac.0, mac.1)
        let uart = checkUART(partitions: layout.2)
        record(.uart, uart.0, uart.1)
        return checks
    }

    private var readyDetail: String { lastReadyDetail.value }
    private let lastReadyDetail = Box("")

    /// `ready` already seen since the port opened (a module just powered), else AT+RST and wait for it.
    private func bootsToReady() -> Bool {
        if client.unsolicited.contains("ready") {
            lastReadyDetail.value = "ready seen after power-on"
            return true
        }
        do throws(ATError) {
            try client.send(AT.restart)
            _ = try client.waitForLine(since: client.unsolicited.count, timeout: ATTimeouts.restart) { $0 == "ready" }
            lastReadyDetail.value = "AT+RST, then ready"
            return true
        } catch {
            lastReadyDetail.value = "no ready: \(error.description)"
            return false
        }
    }

    private func checkVersion(_ expected: String?) -> (Bool, String) {
        do throws(ATError) {
            let info = try client.send(AT.version, retries: retries, onRetry: onRetry)
            let shown = info.atVersionText ?? "?"
            guard let expected else { return (true, "AT version:\(shown)") }
            return info.matches(expected) ? (true, "AT version:\(shown) matches '\(expected)'")
                                          : (false, "AT version:\(shown)\(info.binVersion.map { ", Bin version:\($0)" } ?? ""), expected '\(expected)'")
        } catch {
            return (false, error.description)
        }
    }

    private func checkLayout(_ expected: [PartitionEntry]?) -> (Bool, String, [ATPartition]) {
        let partitions: [ATPartition]
        do throws(ATError) { partitions = try client.send(AT.partitions, retries: retries, onRetry: onRetry) } catch { return (false, error.description, []) }
        guard let expected else { return (!partitions.isEmpty, "\(partitions.count) partitions listed", partitions) }
        var differences: [String] = []
        for i in 0..<max(expected.count, partitions.count) {
            let want = i < expected.count ? Self.describe(expected[i]) : "nothing"
            let got = i < partitions.count ? Self.describe(partitions[i]) : "nothing"
            if want != got { differences.append("entry \(i): module has \(got), layout has \(want)") }
        }
        if differences.isEmpty { return (true, "\(partitions.count) partitions equal the layout", partitions) }
        return (false, differences.joined(separator: "; "), partitions)
    }

    static func describe(_ e: PartitionEntry) -> String {
        "\(e.name) \(e.type)/\(e.subtype) 0x\(String(e.offset, radix: 16))+0x\(String(e.size, radix: 16))"
    }

    static func describe(_ p: ATPartition) -> String {
        "\(p.name) \(p.type)/\(p.subtype) 0x\(String(p.address, radix: 16))+0x\(String(p.size, radix: 16))"
    }

    private func checkMAC(_ expected: [UInt8]?) -> (Bool, String) {
        do throws(ATError) {
            let mac = try client.send(AT.stationMAC, retries: retries, onRetry: onRetry)
            let text = MACAddress.text(mac)
            guard let expected else { return (true, "station MAC \(text)") }
            return mac == expected ? (true, "station MAC \(text)") : (false, "station MAC \(text), expected \(MACAddress.text(expected))")
        } catch {
            return (false, error.description)
        }
    }

    /// UART_DEF's rate equals factory_param's (or the firmware default), UART_CUR's real rate is within 3 % of it,
    /// and the flow control in use has its pins in factory_param.
    private func checkUART(partitions: [ATPartition]) -> (Bool, String) {
        do throws(ATError) {
            var settings: FactoryParamSettings?
            var source = "no factory_param partition: firmware defaults"
            if let param = partitions.first(where: { $0.name == "factory_param" }) {
                let head = try client.send(SysFlash.Read(partition: param.name, offset: 0, length: min(88, param.size)), retries: retries, onRetry: onRetry)
                settings = FactoryParamSettings(head)
                source = settings == nil ? "factory_param has no FC FC magic: firmware defaults" : "factory_param"
            }
            let expectedBaud = settings?.effectiveBaudRate ?? FactoryParamSettings.defaultBaudRate
            let current = try client.send(AT.uart(.current), retries: retries, onRetry: onRetry)
            let saved = try client.send(AT.uart(.saved), retries: retries, onRetry: onRetry)
            var problems: [String] = []
            if saved.baudRate != expectedBaud { problems.append("AT+UART_DEF says \(saved.baudRate) baud") }
            if abs(current.baudRate - expectedBaud) * 100 > expectedBaud * 3 { problems.append("AT+UART_CUR says \(current.baudRate) baud") }
            if let settings, current.usesRTS, settings.rtsPin == nil { problems.append("RTS flow control is on but factory_param has no RTS pin") }
            if let settings, current.usesCTS, settings.ctsPin == nil { problems.append("CTS flow control is on but factory_param has no CTS pin") }
            let summary = "\(expectedBaud) baud (\(source)); UART_CUR \(current.text), UART_DEF \(saved.text)"
            return problems.isEmpty ? (true, summary) : (false, problems.joined(separator: "; ") + "; expected " + summary)
        } catch {
            return (false, error.description)
        }
    }
}

final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
