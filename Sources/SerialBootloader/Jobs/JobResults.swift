import ImageFormats

/// How `DeviceSession.write` writes (`write-flash` options).
public struct WriteOptions: Sendable {
    /// Compression, verification, skipping unchanged regions and recovery budgets.
    public var transfer = FlashOptions()
    /// Erase the whole flash first (regions are then never skipped).
    public var eraseAll = false
    /// Write images built for another chip or revision anyway (esptool `--force`); the guard then only notes them.
    public var force = false
    /// `-fm` and `-ff` for the bootloader header (nil: keep). Its size follows `ConnectRequest.flashSize`.
    public var flashMode: FlashMode?
    public var flashFrequency: FlashFrequency?

    public init() {}
}

public struct WriteResult: Sendable {
    /// One per file, in the order given.
    public var regions: [RegionOutcome]
    /// Bytes this write sent on the wire.
    public var bytesSent: Int
    public var seconds: Double
    /// Bytes of flash the chip hashed with SPI_FLASH_MD5 for this write (about the regions' size once).
    public var hashedBytes = 0
}

/// How `DeviceSession.verify` checks (verify-flash options).
public struct VerifyOptions: Sendable {
    /// `-fm` and `-ff` as given to write-flash: the bootloader header is compared as write-flash wrote it. Its size
    /// follows `ConnectRequest.flashSize`.
    public var flashMode: FlashMode?
    public var flashFrequency: FlashFrequency?
    /// Read back a region whose MD5 differs and list the bytes that differ (esptool `--diff`).
    public var showDifferences = false

    public init() {}
}

public struct VerifyResult: Sendable {
    /// One per file: `verified` (all of them, or the job fails).
    public var regions: [RegionOutcome]
}

/// How much `DeviceSession.read` reads.
public enum ReadLength: Sendable, Hashable {
    case bytes(Int)
    /// From the address to the end of the flash (`ALL`).
    case toEnd
}

public struct ReadResult: Sendable {
    public var address: Int
    public var data: [UInt8]
    public var md5: String
}

/// What `DeviceSession.erase` erases.
public enum EraseRange: Sendable, Hashable {
    /// Both multiples of 4096 (a sector).
    case region(address: Int, size: Int)
    case all
}

public struct EraseResult: Sendable {
    public var address: Int
    public var size: Int
    /// Whether the range was read back as 0xFF (not possible in secure download mode).
    public var verified = true
}

/// What `DeviceJob.run` did: the value or the failure, the chip, and the totals a report needs.
public struct JobOutcome<Value> {
    public var result: Result<Value, JobFailure>
    /// nil when the job failed before the chip was set up.
    public var device: DeviceInfo?
    /// Equal to the number of `retry` events the job emitted.
    public var retries: Int
    public var bytesSent: Int
    public var seconds: Double

    public var failure: JobFailure? {
        if case .failure(let failure) = result { return failure }
        return nil
    }
}

extension JobOutcome: Sendable where Value: Sendable {}
