/// What `image-info` reports about one image: the chip it was built for, the parsed image and its descriptors.
/// Chip detection follows esptool 5.6.0 `cmds.py: _parse_image_info_header`: magic 0xE9 or 0xEA; then byte 23
/// must be 0 or 1 and the low byte of the chip id (byte 12) must name a chip, otherwise the file is read as an
/// ESP8266 image (as esptool does, so an ESP8266 image's byte 23 is never blamed).
public struct ImageInfo: Sendable {
    public var size: Int
    public var chip: Chip
    public var image: FirmwareImage
    public var app: AppDescription?
    public var bootloader: BootloaderDescription?

    public init(inspecting bytes: [UInt8]) throws(FormatError) {
        guard let first = bytes.first else { throw FormatError("image.empty", "Image is empty.") }
        guard first == FirmwareImage.magic || first == FirmwareImage.esp8266V2Magic else {
            let what = FlashContent.identify(bytes).map { " It looks like \($0)." } ?? ""
            throw FormatError("image.bad_magic", "This is not a valid image (invalid magic number: 0x\(String(first, radix: 16))).\(what)",
                              at: SourceLocation(field: "magic", byteOffset: 0),
                              help: "image-info reads application and bootloader images (0xE9, or 0xEA for ESP8266 v2); "
                                  + "for a part of a whole flash image give --offset ADDR or --partition NAME")
        }
        chip = Self.detectChip(bytes)
        size = bytes.count
        image = try FirmwareImage(parsing: bytes, for: chip)
        (app, bootloader) = image.descriptors(for: chip)
    }

    /// esptool's guess: an ESP32-family chip by header byte 12 when byte 23 is 0 or 1, else the ESP8266.
    static func detectChip(_ bytes: [UInt8]) -> Chip {
        let extended = bytes.dropFirst(FirmwareImage.headerLength).prefix(FirmwareImage.extendedHeaderLength)
        guard let hashFlag = extended.last, hashFlag <= 1 else { return .esp8266 }
        let id = extended.count > 4 ? UInt16(bytes[12]) : 0
        return Chip.allCases.first { $0.imageFormat == .esp32 && $0.imageChipID == id } ?? .esp8266
    }

    /// Findings esptool prints as warnings: header codes that have no name for this chip.
    public var warnings: [FormatWarning] {
        var list = image.warnings
        if chip.flashSizeName(image.flashSizeCode) == nil {
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
