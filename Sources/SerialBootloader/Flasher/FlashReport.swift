/// What a flashing run did to each region, for the final report (printed or as JSON).
public struct RegionOutcome: Sendable {
    public enum Status: String, Sendable {
        /// Not reached (an earlier region failed).
        case pending
        /// Flash already held these bytes (MD5 matched); nothing written.
        case skipped
        /// Written; not verified (`--no-verify`).
        case written
        /// Written, or skipped, and its flash MD5 matches after the run.
        case verified
        case failed
    }

    public var index: Int
    public var name: String
    public var address: Int
    public var size: Int
    public var md5: String
    public var status: Status = .pending
    /// Recoveries (re-sync and resume) this region needed.
    public var retries = 0
    /// Bytes sent on the wire for this region, framing included.
    public var bytesSent = 0
    /// Bytes of the region actually sent (0xFF runs left out), before compression.
    public var dataBytes = 0
    public var compressedBytes = 0
    public var error: String?

    /// Whether the flash is known to hold the region now.
    public var isGood: Bool { status == .verified || status == .skipped }
}

public struct FlashReport: Sendable {
    public var regions: [RegionOutcome]
    public var bytesSent: Int
    public var retries: Int
    public var seconds: Double

    public var succeeded: Bool { regions.allSatisfy { $0.status == .verified || $0.status == .skipped || $0.status == .written } }
}

/// The run failed; `report` says which regions are in flash and which are not.
public struct FlashFailure: Error, Sendable, CustomStringConvertible {
    public let error: LoaderError
    public let report: FlashReport
    public var description: String { error.description }
}

/// Progress of a flashing run, for a progress bar or NDJSON.
public enum FlashEvent: Sendable {
    case regionStarted(index: Int, name: String, address: Int, size: Int)
    case regionSkipped(index: Int, reason: String)
    /// `done` of `total` bytes of the region are in flash (or known to be).
    case progress(index: Int, done: Int, total: Int)
    case recovering(index: Int, attempt: Int, reason: String)
    case resumed(index: Int, address: Int)
    case erasing(index: Int, address: Int, size: Int)
    case regionWritten(index: Int)
    case regionVerified(index: Int, md5: String)
    case regionFailed(index: Int, reason: String)
}
