/// Why a device job stopped: the stage, a typed reason, a one-line message and what happened to each file.
public struct JobFailure: Error, Sendable, CustomStringConvertible {
    /// The raw values are what `--json` prints (snake_case, as every key).
    public enum Reason: String, Sendable, Hashable {
        /// The inputs are wrong (a file that does not fit the flash, files sharing a sector, a flash setting the
        /// chip does not have, a range that is not sector-aligned).
        case invalidInput = "invalid_input"
        /// An image is for another chip or a revision this chip does not have (the chip guard).
        case incompatibleImage = "incompatible_image"
        /// The port cannot be opened.
        case portUnavailable = "port_unavailable"
        /// The chip did not answer (no SYNC reply, or it went silent and recovery ran out).
        case noResponse = "no_response"
        /// The chip is not the one asked for, or not one this tool knows.
        case wrongChip = "wrong_chip"
        /// The loader reported failures or the link kept failing until the recovery budget ran out.
        case deviceError = "device_error"
        /// The flash does not hold what it should (MD5 differs).
        case verificationFailed = "verification_failed"
        /// Written, but the chip cannot read its flash back (secure download mode), so nothing could be verified;
        /// `--no-verify` accepts that.
        case notVerifiable = "not_verifiable"
        /// The job was cancelled (Ctrl-C, SIGTERM, task cancellation).
        case cancelled
    }

    public var stage: JobStage
    public var reason: Reason
    public var message: String
    /// A hint for the user, when there is one.
    public var help: String?
    /// Every file of the job and its state when it stopped (empty for jobs without files).
    public var regions: [RegionOutcome]

    public init(stage: JobStage, reason: Reason, message: String, help: String? = nil, regions: [RegionOutcome] = []) {
        self.stage = stage
        self.reason = reason
        self.message = message
        self.help = help
        self.regions = regions
    }

    public var description: String { "\(stage.rawValue): \(message)" }

    /// A loader error in `stage`, its reason taken from the error's kind.
    public init(_ error: LoaderError, stage: JobStage, regions: [RegionOutcome] = []) {
        let reason: Reason = switch error.kind {
        case .cancelled: .cancelled
        case .noSync: .noResponse
        case .wrongChip: .wrongChip
        case .mismatch: .verificationFailed
        case .timeout, .failed, .unsupported, .badReply, .transport, .unusable: .deviceError
        }
        self.init(stage: stage, reason: reason, message: error.description, regions: regions)
    }
}
