import ImageFormats

/// A byte stream from the ROM loader's line behind `FormatDecoder` (`slip-stream`): the events the streaming
/// decoder gives for it.
public struct SLIPStreamFormat: FormatDecoder {
    public typealias Value = [SLIPDecoder.Event]
    public init() {}
    public var formatName: String { "slip-stream" }

    public func decode(_ bytes: [UInt8]) throws(FormatError) -> [SLIPDecoder.Event] {
        var decoder = SLIPDecoder()
        return decoder.feed(bytes)
    }

    /// The events do not depend on how the stream is cut (whole, byte by byte, in pieces the data picks), and every
    /// packet framed again decodes to itself alone.
    public func checkProperties(_ bytes: [UInt8]) -> String? {
        guard let whole = try? decodeChecked(bytes) else { return nil }
        var single = SLIPDecoder()
        var byByte: [SLIPDecoder.Event] = []
        for byte in bytes { byByte += single.feed(CollectionOfOne(byte)) }
        guard byByte == whole else { return "\(formatName): byte-by-byte feeding gives other events" }
        var pieces = SLIPDecoder()
        var pieced: [SLIPDecoder.Event] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + 1 + Int(bytes[start] % 7))
            pieced += pieces.feed(bytes[start..<end])
            start = end
        }
        guard pieced == whole else { return "\(formatName): feeding in pieces gives other events" }
        for case .packet(let packet) in whole {
            var again = SLIPDecoder()
            guard again.feed(SLIP.encode(packet)) == [.packet(packet)] else {
                return "\(formatName): a packet framed again does not decode to itself"
            }
        }
        return nil
    }
}
