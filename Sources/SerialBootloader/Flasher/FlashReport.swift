/// What a job did to one file, for the final report (printed, as JSON, or in a station's record). `address`,
/// `size` and `md5` are the file's own; `flashAddress`, `flashSize` and `flashMD5` describe the bytes that went
/// into flash (started at the 4 KB sector, padded, and with a patched header where `-fm/-ff/-fs` applied).
public struct RegionOutcome: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        /// Not reached (an earlier region failed, or the job stopped first).
        case pending
        /// Flash already held these bytes (MD5 matched); nothing written.
        case skipped
        /// Written; not verified (`--no-verify`).
        case written
        /// Written, but the chip cannot read its flash back (secure download mode): nothing could be verified.
        case unverifiable
        /// Written, or skipped, and its flash MD5 matches after the run.
        case verified
        /// verify: the flash holds something else.
        case differs
        /// Writing it failed or was cancelled part way; the flash may hold part of it.
        case failed
    }

    public var index: Int
    public var name: String
    public var address: Int
    public var size: Int
    public var md5: String
    public var flashAddress: Int
    public var flashSize: Int
    public var flashMD5: String
    /// The header was rewritten (`-fm/-ff/-fs`), so `flashMD5` is not the file's MD5 over the same bytes.
    public var patched = false
    public var status: Status = .pending
    /// Retries (re-sync and resume, block resends) this region needed; each was a `retry` event.
    public var retries = 0
    /// Bytes sent on the wire for this region, framing included.
    public var bytesSent = 0
    /// Bytes of the region actually sent (0xFF runs left out), before compression.
    public var dataBytes = 0
    /// Bytes of flash the chip hashed with SPI_FLASH_MD5 for this region (checks before and after writing).
    public var hashedBytes = 0
    public var compressedBytes = 0
    public var error: String?
    /// verify with differences asked for: how many bytes differ, and the first of them (`FlashDifference.limit`).
    public var differenceCount: Int?
    public var differences: [FlashDifference] = []

    public init(index: Int, name: String, address: Int, size: Int, md5: String, flashAddress: Int, flashSize: Int, flashMD5: String) {
        self.index = index
        self.name = name
        self.address = address
        self.size = size
        self.md5 = md5
        self.flashAddress = flashAddress
        self.flashSize = flashSize
        self.flashMD5 = flashMD5
    }

    /// Whether the flash is known to hold the region now.
    public var isGood: Bool { status == .verified || status == .skipped }

    public var info: RegionInfo { RegionInfo(index: index, name: name, address: address, size: size, md5: md5) }
}

public struct FlashReport: Sendable {
    public var regions: [RegionOutcome]
    public var bytesSent: Int
    public var retries: Int
    public var seconds: Double

    public var succeeded: Bool {
        regions.allSatisfy { $0.status == .verified || $0.status == .skipped || $0.status == .written || $0.status == .unverifiable }
    }
}

/// The run failed in `stage` (`write`, or `verify` when an MD5 check failed); `report` says which regions are in
/// flash and which are not.
public struct FlashFailure: Error, Sendable, CustomStringConvertible {
    public let error: LoaderError
    public let stage: JobStage
    public let report: FlashReport
    public var description: String { error.description }
}

/// One byte where the flash and the file disagree (verify-flash --diff).
public struct FlashDifference: Sendable, Hashable {
    public var address: Int
    public var flash: UInt8
    public var file: UInt8

    public init(address: Int, flash: UInt8, file: UInt8) {
        self.address = address
        self.flash = flash
        self.file = file
    }

    /// At most this many differences are kept per region (a wrong 4 MB file would otherwise list millions).
    public static let limit = 4096
}
