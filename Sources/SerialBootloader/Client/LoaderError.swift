/// Why talking to the ROM loader failed, always naming the command that was in flight.
public struct LoaderError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No matching reply within the command's timeout.
        case timeout
        /// The loader answered with a failure status; the byte is the ROM error code (`RomError`).
        case failed(UInt8)
        /// The loader does not know the command (a reply with another opcode and status `01 05`).
        case unsupported
        /// Replies came, but none answered the command (esptool's "Response doesn't match request").
        case badReply
        /// The port failed or went away.
        case transport(TransportError.Kind)
        /// No SYNC answer after every connect attempt.
        case noSync
        /// The chip is not the one asked for, or not one this tool knows.
        case wrongChip
        /// The flash does not hold what it should: an MD5 check failed after every attempt.
        case mismatch
        /// The job was cancelled (`CancellationFlag`, task cancellation).
        case cancelled
        /// The chip answers but cannot be used as asked, and trying again will not change that: a flasher stub
        /// answers instead of the ROM, the flash chip does not respond, the link fails at the baud rate asked for,
        /// an address the ROM cannot reach, a command secure download mode forbids.
        case unusable
    }

    public let kind: Kind
    /// The command in flight (`FLASH_DEFL_DATA`), or the step (`connect`).
    public let command: String
    public let message: String

    public init(_ kind: Kind, command: String, _ message: String) {
        self.kind = kind
        self.command = command
        self.message = message
    }

    public var description: String { "\(command): \(message)" }

    /// Whether re-syncing and trying again can help: everything but a wrong chip. An "unsupported" reply to a
    /// command the chip has is what a request with a corrupted opcode gets, so it counts as recoverable too
    /// (the attempts are bounded). A wrong chip, a final MD5 mismatch and a cancellation are not.
    public var isRecoverable: Bool { kind != .wrongChip && kind != .mismatch && kind != .cancelled && kind != .unusable }

    static func cancelled(_ command: String) -> LoaderError { LoaderError(.cancelled, command: command, "cancelled") }

    static func failed(_ command: String, _ code: UInt8) -> LoaderError {
        LoaderError(.failed(code), command: command, "the loader reported failure 0x01\(hex2(code)) (\(RomError.name(code)))")
    }
}

func hex2(_ byte: UInt8) -> String {
    let s = String(byte, radix: 16)
    return s.count == 1 ? "0" + s : s
}

/// Lower-case hex of bytes (MD5 digests, as the ROM prints them).
public func hexString(_ bytes: some Sequence<UInt8>) -> String { bytes.map(hex2).joined() }
