import ImageFormats

/// The steps of a device job, in order. A failure names the one it happened in.
public enum JobStage: String, Sendable, Hashable, CaseIterable {
    /// Checking the inputs before any port is opened (files, addresses, sizes, overlaps).
    case arguments
    /// Opening the port.
    case open
    /// Reset, sync, chip detection, baud change, flash attach and size, MAC.
    case connect
    /// Checks that need the chip: the chip guard, the fit in its flash, header patching.
    case check
    case erase
    case write
    case verify
    case read
    /// `--after` (hard reset, soft reset) and closing the port.
    case finish
}

/// What a device job reports while it runs, in order. Region indexes are the positions of the files in the
/// request. `retry` is emitted exactly once per retry the job counts (`DeviceSession.retries`).
public enum JobEvent: Sendable {
    /// A stage begins.
    case stageStarted(JobStage)
    /// The chip answered and is set up.
    case connected(DeviceInfo)
    /// Something the user should know that does not stop the job (a warning when `isWarning`).
    case note(String, isWarning: Bool)
    /// The port failed and was opened again (a dropped socket, a USB port that came back).
    case portReopened(port: String)
    /// A bootloader header was rewritten for `-fm/-ff/-fs`; `parameters` are header bytes 2–3 (0x0220).
    case headerPatched(index: Int, parameters: UInt16)
    /// Work on a file begins.
    case regionStarted(RegionInfo)
    /// The flash already holds the file (its MD5 matched); nothing is written.
    case regionSkipped(index: Int, reason: String)
    /// `done` of `total` bytes of the region are in flash (or read, for a read).
    case progress(index: Int, done: Int, total: Int)
    /// A range is erased (a 0xFF run of an image that the chip did not already read as 0xFF, or an erase job).
    case erasing(index: Int?, address: Int, size: Int)
    /// Everything of the region was sent.
    case regionWritten(index: Int)
    /// The region's flash MD5 matches.
    case regionVerified(index: Int, md5: String)
    /// The region could not be written, or (verify) the flash differs from it.
    case regionFailed(index: Int, reason: String)
    /// A command failed and is tried again after re-syncing; `index` is nil outside any region.
    case retry(index: Int?, attempt: Int, reason: String)
    /// Writing a region goes on at `address` after a recovery.
    case resumed(index: Int, address: Int)
}

/// A file of a job, as the user gave it: its own address, size and MD5 (nil for a read, not known yet).
public struct RegionInfo: Sendable, Hashable {
    public var index: Int
    public var name: String
    public var address: Int
    public var size: Int
    public var md5: String?

    public init(index: Int, name: String, address: Int, size: Int, md5: String?) {
        self.index = index
        self.name = name
        self.address = address
        self.size = size
        self.md5 = md5
    }
}

/// Where a job's events go and how it is stopped. Both may be used from any thread: the job calls `onEvent` on the
/// thread it runs on, in order.
public struct JobContext: Sendable {
    public var onEvent: @Sendable (JobEvent) -> Void
    public var cancellation: CancellationFlag

    public init(cancellation: CancellationFlag = CancellationFlag(), onEvent: @escaping @Sendable (JobEvent) -> Void = { _ in }) {
        self.onEvent = onEvent
        self.cancellation = cancellation
    }
}
