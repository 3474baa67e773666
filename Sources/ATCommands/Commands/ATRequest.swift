/// A typed AT command: the line to send, how long to wait, and how to read a successful response.
public protocol ATRequest: Sendable {
    associatedtype Reply: Sendable
    var commandLine: String { get }
    /// The reply prefix whose `PREFIX:<n>,` lines carry raw bytes (AT+SYSFLASH and AT+FS reads); nil for none.
    var payloadPrefix: String? { get }
    /// Bytes to send after the `>` prompt (writes); nil for commands without a data phase.
    var data: [UInt8]? { get }
    /// Seconds to wait for the final result at `baud` (for the command itself; a data phase adds its transfer time).
    func timeout(baud: Int) -> Double
    func parse(_ response: ATResponse) throws(ATError) -> Reply
}

extension ATRequest {
    public var payloadPrefix: String? { nil }
    public var data: [UInt8]? { nil }
    public func timeout(baud: Int) -> Double { ATTimeouts.command }

    func badReply(_ message: String, _ response: ATResponse) -> ATError {
        ATError(.badReply, command: commandLine, message, partial: response.lines)
    }
}

/// Time limits. The firmware answers simple commands within milliseconds; these bounds leave room for a module
/// that is busy with Wi-Fi, and scale with the flash work and the bytes on the wire.
public enum ATTimeouts {
    public static let command = 2.0
    /// From AT+RST to `ready` (ROM, bootloader and app start, Wi-Fi and BLE init).
    public static let restart = 8.0
    /// Per 4 KB sector erased (a NOR datasheet's maximum is 0.4 s).
    public static let perSectorErase = 0.5
}

/// Requests whose reply is just OK.
public struct ATPlainRequest: ATRequest {
    public let commandLine: String
    private let seconds: Double

    public init(_ commandLine: String, timeout: Double = ATTimeouts.command) {
        self.commandLine = commandLine
        self.seconds = timeout
    }

    public func timeout(baud: Int) -> Double { seconds }
    public func parse(_ response: ATResponse) throws(ATError) {}
}

/// The commands of the AT command set this module speaks, as typed requests.
public enum AT {
    /// `AT`: is the firmware there?
    public static let test = ATPlainRequest("AT")
    /// `ATE0` / `ATE1`.
    public static func echo(_ on: Bool) -> ATPlainRequest { ATPlainRequest(on ? "ATE1" : "ATE0") }
    /// `AT+RST`: OK, then the module restarts and later prints `ready`.
    public static let restart = ATPlainRequest("AT+RST")
    /// `AT+GMR`.
    public static let version = VersionRequest()
    /// `AT+SYSFLASH?`.
    public static let partitions = PartitionListRequest()
    /// `AT+CIPSTAMAC?`.
    public static let stationMAC = StationMACRequest()
    /// `AT+UART_CUR?` / `AT+UART_DEF?`.
    public static func uart(_ which: UARTQuery.Which) -> UARTQuery { UARTQuery(which) }
    /// `AT+SYSRAM?`.
    public static let ram = RAMRequest()
    /// `AT+RFPOWER?`.
    public static let rfPower = RFPowerRequest()
}
