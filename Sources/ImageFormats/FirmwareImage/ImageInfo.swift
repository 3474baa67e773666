/// What `image-info` reports about one image: the chip it was built for, the parsed image and its descriptors.
/// Chip detection follows esptool 5.6.0 `cmds.py: _parse_image_info_header`: byte 23 must be 0 or 1, then the
/// low byte of the chip id (byte 12) selects the chip.
public struct ImageInfo: Sendable {
    public var size: Int
    public var chip: Chip
    public var image: FirmwareImage
    public var app: AppDescription?
    public var bootloader: BootloaderDescription?

    public init(inspecting bytes: [UInt8]) throws(FormatError) {
        guard let first = bytes.first else { throw FormatError("image.empty", "the image is empty") }
        if first == 0xEA {
            throw FormatError("image.esp8266", "this is an ESP8266 v2 image (magic 0xea); only ESP32-family images are supported",
                              at: SourceLocation(field: "magic", byteOffset: 0))
        }
        guard first == FirmwareImage.magic else {
            throw FormatError("image.bad_magic", "this is not a valid image (invalid magic number: 0x\(first.hexDigits()))",
                              at: SourceLocation(field: "magic", byteOffset: 0),
                              help: "image-info reads application and bootloader images, which start with 0xe9")
        }
        guard bytes.count >= FirmwareImage.headerLength + FirmwareImage.extendedHeaderLength else {
            throw FormatError("image.truncated", "the image is \(bytes.count) bytes long, shorter than its 24-byte header",
                              at: SourceLocation(byteOffset: bytes.count))
        }
        let flag = bytes[FirmwareImage.hashAppendedOffset]
        guard flag <= 1 else {
            throw FormatError("image.bad_hash_flag",
                              "hash-appended byte is 0x\(flag.hexDigits()); it must be 0 or 1 (esptool would read this as an ESP8266 image)",
                              at: SourceLocation(field: "hash_appended", byteOffset: FirmwareImage.hashAppendedOffset))
        }
        let id = UInt16(bytes[12])
        guard let chip = Chip.withImageChipID(id) else {
            let known = Chip.otherKnownChipIDs[id].map { " (\($0), not supported by this tool)" } ?? " (unknown)"
            throw FormatError("image.unknown_chip", "image chip id is \(id)\(known)",
                              at: SourceLocation(field: "chip_id", byteOffset: 12))
        }
        self.chip = chip
        size = bytes.count
        image = try FirmwareImage(parsing: bytes)
        (app, bootloader) = image.descriptors(for: chip)
    }

    /// Findings esptool prints as warnings: header codes that have no name for this chip.
    public var warnings: [FormatWarning] {
        var list: [FormatWarning] = []
        if FlashSize(headerCode: image.flashSizeCode) == nil {
            list.append(FormatWarning("Invalid flash size (0x\(String(image.flashSizeCode, radix: 16)))", at: SourceLocation(byteOffset: 3)))
        }
        if chip.flashFrequencyName(image.flashFrequencyCode) == nil {
            list.append(FormatWarning("Invalid flash frequency (0x\(String(image.flashFrequencyCode, radix: 16)))", at: SourceLocation(byteOffset: 3)))
        }
        if FlashMode(headerCode: image.flashMode) == nil {
            list.append(FormatWarning("Invalid flash mode (\(image.flashMode))", at: SourceLocation(byteOffset: 2)))
        }
        return list
    }

    /// "v3.99" from major × 100 + minor.
    public static func revision(_ full: UInt16) -> String { "v\(full / 100).\(full % 100)" }
}
