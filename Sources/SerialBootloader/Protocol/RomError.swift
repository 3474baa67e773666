/// The error byte of a failed ROM reply (status `[1, code, 0, 0]`), named as in esptool's
/// `util.py: FatalError.WithResult` and esp-serial-flasher.
public enum RomError: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case undefined = 0x00
    case invalidParameter = 0x01
    case mallocFailed = 0x02
    case sendFailed = 0x03
    case receiveFailed = 0x04
    /// Also what the ROM answers to a command it does not know.
    case invalidMessage = 0x05
    case failedToAct = 0x06
    case badChecksum = 0x07
    case flashWriteError = 0x08
    case flashReadError = 0x09
    case flashReadLengthError = 0x0A
    case deflateError = 0x0B
    case deflateAdler32Error = 0x0C
    case deflateParameterError = 0x0D
    case invalidRAMBinarySize = 0x0E
    case invalidRAMBinaryAddress = 0x0F

    public var description: String {
        switch self {
        case .undefined: "undefined error"
        case .invalidParameter: "input parameter invalid"
        case .mallocFailed: "malloc failed"
        case .sendFailed: "send failed"
        case .receiveFailed: "receive failed"
        case .invalidMessage: "message format invalid (or command not supported)"
        case .failedToAct: "message OK but running result wrong"
        case .badChecksum: "checksum error"
        case .flashWriteError: "flash write error"
        case .flashReadError: "flash read error"
        case .flashReadLengthError: "flash read length error"
        case .deflateError: "deflate failed"
        case .deflateAdler32Error: "deflate Adler-32 error"
        case .deflateParameterError: "deflate parameter error"
        case .invalidRAMBinarySize: "invalid RAM binary size"
        case .invalidRAMBinaryAddress: "invalid RAM binary address"
        }
    }

    public static func name(_ raw: UInt8) -> String {
        RomError(rawValue: raw)?.description ?? "unknown error 0x" + String(raw, radix: 16)
    }
}
