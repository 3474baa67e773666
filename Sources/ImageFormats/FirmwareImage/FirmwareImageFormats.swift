/// Firmware images behind `FormatDecoder`: the ESP32-family image (`firmware-image`, written back by
/// `FirmwareImage.encoded()`) and what image-info reports for any image (`image-info`, ESP8266 included).

public struct ESP32ImageFormat: FormatEncoder {
    public typealias Value = FirmwareImage
    public init() {}
    public var formatName: String { "firmware-image" }
    public func decode(_ bytes: [UInt8]) throws(FormatError) -> FirmwareImage { try FirmwareImage(parsing: bytes) }
    public func encode(_ image: FirmwareImage) throws(FormatError) -> [UInt8] { try image.encoded() }

    /// The round trip, and an image laid out as esptool writes it re-encodes to its own bytes.
    public func checkProperties(_ bytes: [UInt8]) -> String? {
        let trip = roundTripProblem(bytes)
        if let problem = trip.problem { return problem }
        guard let image = trip.value, let encoded = trip.encoded, Self.isCanonical(image, bytes) else { return nil }
        let original = Array(bytes.prefix(encoded.count))
        guard original == encoded else {
            return "\(formatName): a canonical image does not re-encode to itself\(Self.firstDifference(original, encoded))"
        }
        return nil
    }

    /// Segment lengths as stored (no padding added on reading), zero padding before the checksum, a whole digest.
    static func isCanonical(_ image: FirmwareImage, _ bytes: [UInt8]) -> Bool {
        for segment in image.segments {
            let at = segment.fileOffset + 4
            guard at + 4 <= bytes.count else { return false }
            let stored = (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) }
            guard stored == segment.data.count else { return false }
        }
        let end = image.segments.last.map { $0.fileOffset + FirmwareImage.segmentHeaderLength + $0.data.count }
            ?? FirmwareImage.headerLength + FirmwareImage.extendedHeaderLength
        guard end <= image.dataLength - 1, bytes[end..<(image.dataLength - 1)].allSatisfy({ $0 == 0 }) else { return false }
        return image.extendedHeader?.hashAppended != true || image.storedDigest?.count == FirmwareImage.digestLength
    }
}

/// `image-info`'s reading: the chip guessed as esptool guesses it, the image, its descriptors and the text report.
public struct ImageInfoFormat: FormatDecoder {
    public typealias Value = ImageInfo
    public init() {}
    public var formatName: String { "image-info" }
    public func decode(_ bytes: [UInt8]) throws(FormatError) -> ImageInfo { try ImageInfo(inspecting: bytes) }

    /// The report and the warnings are made for every image that reads.
    public func checkProperties(_ bytes: [UInt8]) -> String? {
        guard let info = try? decodeChecked(bytes) else { return nil }
        _ = info.text
        _ = info.warnings
        return nil
    }
}
