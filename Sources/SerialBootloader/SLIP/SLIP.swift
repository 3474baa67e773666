/// SLIP framing (RFC 1055) as the ESP ROM loader uses it: every packet is wrapped in `C0 … C0`, with `C0` sent
/// as `DB DC` and `DB` as `DB DD` inside.
public enum SLIP {
    public static let end: UInt8 = 0xC0
    public static let escape: UInt8 = 0xDB
    public static let escapedEnd: UInt8 = 0xDC
    public static let escapedEscape: UInt8 = 0xDD

    /// One framed packet.
    public static func encode(_ packet: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = [end]
        out.reserveCapacity(packet.count + packet.count / 16 + 2)
        for byte in packet {
            switch byte {
            case end: out += [escape, escapedEnd]
            case escape: out += [escape, escapedEscape]
            default: out.append(byte)
            }
        }
        out.append(end)
        return out
    }
}

/// Streaming SLIP decoder: feed it bytes as they arrive, in any chunking, and collect whole packets.
/// Bytes outside a frame (boot messages, line noise) are dropped; a frame with a bad escape is discarded and
/// the decoder resynchronises on the next `C0`.
public struct SLIPDecoder: Sendable {
    /// A problem seen while decoding; the stream continues after it.
    public enum Event: Equatable, Sendable {
        case packet([UInt8])
        /// A frame contained `DB` followed by something other than `DC`/`DD`; it was dropped.
        case badEscape
        /// A frame grew past `maximumFrameSize`; what came of it was dropped (its length is how much arrived).
        case tooLong(Int)
    }

    /// The longest frame kept; past it the bytes up to the next END are counted and dropped, so a peer that never
    /// ends a frame cannot grow memory without bound.
    public let maximumFrameSize: Int
    private var overflow = 0

    private var buffer: [UInt8] = []
    private var inFrame = false
    private var escaping = false
    private var corrupt = false
    /// Bytes seen outside any frame since the decoder was made (useful to show a chip's boot log).
    public private(set) var discardedBytes = 0

    public init(maximumFrameSize: Int = .max) {
        self.maximumFrameSize = maximumFrameSize
    }

    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            if byte == SLIP.end {
                if overflow > 0 {
                    events.append(.tooLong(overflow))
                    buffer.removeAll(keepingCapacity: false)
                    overflow = 0
                } else if inFrame && !buffer.isEmpty {
                    events.append(corrupt ? .badEscape : .packet(buffer))
                    buffer.removeAll(keepingCapacity: true)
                    inFrame = true  // C0 C0: the closing end can also open the next frame
                } else {
                    inFrame = true
                }
                escaping = false
                corrupt = false
                continue
            }
            guard inFrame else {
                discardedBytes += 1
                continue
            }
            if overflow > 0 || buffer.count >= maximumFrameSize {
                overflow = max(overflow, buffer.count) + 1
                buffer.removeAll(keepingCapacity: false)
                continue
            }
            if escaping {
                escaping = false
                switch byte {
                case SLIP.escapedEnd: buffer.append(SLIP.end)
                case SLIP.escapedEscape: buffer.append(SLIP.escape)
                default: corrupt = true; buffer.append(byte)
                }
            } else if byte == SLIP.escape {
                escaping = true
            } else {
                buffer.append(byte)
            }
        }
        return events
    }

    /// Convenience: only the packets, dropping bad frames.
    public mutating func packets(from bytes: some Sequence<UInt8>) -> [[UInt8]] {
        feed(bytes).compactMap { if case .packet(let p) = $0 { p } else { nil } }
    }
}
