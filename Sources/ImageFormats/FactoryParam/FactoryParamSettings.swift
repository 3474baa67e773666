/// What the AT firmware takes from a legacy factory_param partition when it starts (esp-at v1.2–v3.0,
/// `main/interface/uart/at_uart_task.c: at_uart_init` and `at_default_config.c`; reference/esp-at.md §2.4): the
/// partition counts only with magic FC FC, and every field whose bytes are all 0xFF is unset.
public struct FactoryParamSettings: Sendable, Equatable {
    /// Version byte (offset 2): 1 (v1.2/v2.0), 2 (v2.1, adds uart_port) or 3 (v2.2+, platform and module name).
    public var version: Int
    /// Offset 4, 0.25 dBm units.
    public var txPower: Int?
    /// Offset 5 (version 2 and later): the UART the AT commands use.
    public var uartPort: Int?
    /// Offsets 12–15, used when any byte is not 0xFF.
    public var baudRate: Int?
    /// Offsets 16/17, used only as a pair.
    public var txPin: Int?
    public var rxPin: Int?
    /// Offsets 18/19: 0xFF means no flow-control pin.
    public var ctsPin: Int?
    public var rtsPin: Int?
    /// Offset 8, 4 bytes, NUL-padded.
    public var countryCode: String?
    /// Offset 56, 32 bytes (version 3): the module name AT+GMR prints in `Bin version:…(NAME)`.
    public var moduleName: String?

    /// The firmware's defaults when a field is unset (the esp-at sdkconfig for ESP32 and ESP32-C3 modules).
    public static let defaultBaudRate = 115_200
    public static let defaultUARTPort = 1

    /// Reads the first 88 bytes of a factory_param partition; nil when the magic is not FC FC (the firmware then
    /// ignores the partition).
    public init?(_ bytes: some Collection<UInt8>) {
        let b = Array(bytes.prefix(88))
        guard b.count >= 24, b[0] == 0xFC, b[1] == 0xFC else { return nil }
        func byte(_ i: Int) -> Int? { b[i] == 0xFF ? nil : Int(b[i]) }
        func text(_ range: Range<Int>) -> String? {
            guard range.upperBound <= b.count, !b[range].allSatisfy({ $0 == 0xFF }) else { return nil }
            let slice = b[range].prefix { $0 != 0 }
            return String(decoding: slice, as: UTF8.self)
        }
        version = Int(b[2])
        txPower = byte(4)
        uartPort = version >= 2 ? byte(5) : nil
        countryCode = text(8..<12)
        if b[12..<16].contains(where: { $0 != 0xFF }) {
            baudRate = Int(Int32(bitPattern: UInt32(b[12]) | UInt32(b[13]) << 8 | UInt32(b[14]) << 16 | UInt32(b[15]) << 24))
        }
        if b[16] != 0xFF, b[17] != 0xFF {
            txPin = Int(b[16])
            rxPin = Int(b[17])
        }
        ctsPin = byte(18)
        rtsPin = byte(19)
        moduleName = version >= 3 ? text(56..<88) : nil
    }

    /// The rate the AT UART starts at.
    public var effectiveBaudRate: Int { baudRate ?? Self.defaultBaudRate }
    /// The UART the AT commands use.
    public var effectiveUARTPort: Int { uartPort ?? Self.defaultUARTPort }
}
