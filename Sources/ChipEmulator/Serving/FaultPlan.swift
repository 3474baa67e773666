import ImageFormats

/// Faults the emulator injects (`emulate --fault KIND=VALUE`), all random choices drawn from one seeded generator
/// so that a run repeats exactly.
public struct FaultPlan: Sendable, Equatable {
    /// Probability that a received frame gets one flipped bit.
    public var corruptReceive = 0.0
    /// Probability that the replies to a frame are not sent.
    public var dropReply = 0.0
    /// Probability that only part of a reply is sent.
    public var truncateReply = 0.0
    /// Delay before every reply, in milliseconds.
    public var delayReplyMilliseconds = 0
    /// Close the connection after this many received frames (flash contents stay).
    public var disconnectAfterFrames: Int?
    /// After this many received frames (over all connections) the chip never answers again, as one that crashed
    /// or lost power.
    public var silentAfterFrames: Int?
    /// Flash addresses whose 4 KB sectors erase but no longer program (worn out): written data never verifies.
    public var badSectors: [Int] = []
    /// After this many received frames the port vanishes and comes back (once), as a USB port does when its board
    /// resets: the chip is reset into download mode again (its ROM back at 115200, flash parameters forgotten).
    /// A served pty comes back as a new pty behind `--pty-link`; a `virtual://` line must be reopened.
    public var reenumerateAfterFrames: Int?
    public var seed: UInt64 = 1

    public init() {}

    public var isEmpty: Bool {
        corruptReceive == 0 && dropReply == 0 && truncateReply == 0 && delayReplyMilliseconds == 0 && disconnectAfterFrames == nil
            && silentAfterFrames == nil && badSectors.isEmpty && reenumerateAfterFrames == nil
    }

    /// Parses one `KIND=VALUE` into the plan; returns a message for a bad spec.
    public mutating func add(_ spec: String) -> String? {
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return "fault '\(spec)' must be KIND=VALUE" }
        let (kind, value) = (parts[0], parts[1])
        func probability() -> Double? { Double(value).flatMap { (0...1).contains($0) ? $0 : nil } }
        switch kind {
        case "corrupt-rx": guard let p = probability() else { return "corrupt-rx takes a probability 0..1" }; corruptReceive = p
        case "drop-reply": guard let p = probability() else { return "drop-reply takes a probability 0..1" }; dropReply = p
        case "truncate-reply": guard let p = probability() else { return "truncate-reply takes a probability 0..1" }; truncateReply = p
        case "delay-reply": guard let ms = Int(value), ms >= 0 else { return "delay-reply takes milliseconds" }; delayReplyMilliseconds = ms
        case "disconnect-after": guard let n = Int(value), n > 0 else { return "disconnect-after takes a frame count > 0" }; disconnectAfterFrames = n
        case "silent-after": guard let n = Int(value), n >= 0 else { return "silent-after takes a frame count" }; silentAfterFrames = n
        case "reenumerate-after":
            guard let n = Int(value), n > 0 else { return "reenumerate-after takes a frame count > 0" }
            reenumerateAfterFrames = n
        case "bad-sector":
            guard let address = IntegerText.sizeOrAddress(value), address >= 0 else { return "bad-sector takes a flash address" }
            badSectors.append(address)
        case "seed": guard let s = UInt64(value) else { return "seed takes a non-negative integer" }; seed = s
        default:
            return "unknown fault kind '\(kind)' (corrupt-rx, drop-reply, truncate-reply, delay-reply, disconnect-after, silent-after, reenumerate-after, bad-sector, seed)"
        }
        return nil
    }
}
