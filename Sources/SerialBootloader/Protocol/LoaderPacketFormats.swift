import ImageFormats

/// The ROM loader's packets behind `FormatDecoder`, each input being the content of one SLIP frame: requests as
/// the emulated chip decodes them (`loader-request`) and replies as the host reads them (`loader-reply`).

public struct LoaderRequestFormat: FormatEncoder {
    public typealias Value = LoaderRequest
    public init() {}
    public var formatName: String { "loader-request" }

    public func decode(_ bytes: [UInt8]) throws(FormatError) -> LoaderRequest {
        guard let packet = CommandPacket(frame: bytes) else {
            throw FormatError("loader.not_request", "not a request frame (direction byte 00 and an 8-byte header)", at: SourceLocation(byteOffset: 0))
        }
        do throws(LoaderRequest.DecodeError) { return try LoaderRequest(packet: packet) } catch {
            throw FormatError("loader.bad_request", "opcode 0x\(String(error.opcode, radix: 16)): the ROM answers \(error.romError)",
                              at: SourceLocation(byteOffset: 1))
        }
    }

    public func encode(_ request: LoaderRequest) throws(FormatError) -> [UInt8] { request.packet.bytes }

    /// The round trip gives the same request, not only the same bytes.
    public func checkProperties(_ bytes: [UInt8]) -> String? {
        let trip = roundTripProblem(bytes)
        if let problem = trip.problem { return problem }
        guard let request = trip.value, let encoded = trip.encoded else { return nil }
        guard (try? decode(encoded)) == request else { return "\(formatName): an encoded request decodes to another request" }
        return nil
    }
}

public struct LoaderReplyFormat: FormatEncoder {
    public typealias Value = ResponsePacket
    public init() {}
    public var formatName: String { "loader-reply" }

    public func decode(_ bytes: [UInt8]) throws(FormatError) -> ResponsePacket {
        guard let reply = ResponsePacket(frame: bytes) else {
            throw FormatError("loader.not_reply", "not a reply frame (direction byte 01 and an 8-byte header)", at: SourceLocation(byteOffset: 0))
        }
        return reply
    }

    public func encode(_ reply: ResponsePacket) throws(FormatError) -> [UInt8] { reply.bytes }

    /// A reply whose size field matches its data re-encodes to its own bytes; the status and a security-info
    /// payload are read at every payload length a command uses, without a crash.
    public func checkProperties(_ bytes: [UInt8]) -> String? {
        let trip = roundTripProblem(bytes)
        if let problem = trip.problem { return problem }
        guard let reply = trip.value, let encoded = trip.encoded else { return nil }
        let declared = Int(bytes[2]) | Int(bytes[3]) << 8
        if declared == reply.data.count, encoded != bytes { return "\(formatName): a well-formed reply does not re-encode to itself" }
        for length in [0, 4, 12, 16, 20] {
            _ = reply.status(payloadLength: length)
            _ = SecurityInfo(bytes: reply.payload(length: length))
        }
        return nil
    }
}

extension FormatCatalog {
    /// The ROM loader's protocol: the SLIP stream, requests and replies.
    public static let loaderProtocol: [any FormatDecoder] = [SLIPStreamFormat(), LoaderRequestFormat(), LoaderReplyFormat()]
}
