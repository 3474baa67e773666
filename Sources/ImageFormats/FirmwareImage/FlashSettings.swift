import Crypto

/// The `-fm/-ff/-fs` values of merge-bin and write-flash, parsed; nil means `keep`.
public struct FlashSettings: Sendable, Hashable {
    public var mode: FlashMode?
    public var frequency: FlashFrequency?
    public var size: FlashSize?

    public init(mode: FlashMode? = nil, frequency: FlashFrequency? = nil, size: FlashSize? = nil) {
        self.mode = mode
        self.frequency = frequency
        self.size = size
    }

    public var keepsEverything: Bool { mode == nil && frequency == nil && size == nil }

    /// What happened to one file.
    public enum PatchOutcome: Sendable, Hashable {
        /// Not at the bootloader offset, shorter than 8 bytes, or all settings `keep`.
        case notApplicable
        /// At the bootloader offset but not a valid image; left unchanged (esptool warns the same way).
        case notAnImage(String)
        /// Patched; `parameters` is bytes 2–3 as esptool prints them (0x0220), `digestUpdated` when a SHA-256
        /// was appended and has been recomputed.
        case patched(parameters: UInt16, changed: Bool, digestUpdated: Bool)
    }

    /// Applies these settings to an image destined for `address`, as esptool 5.6.0
    /// `cmds.py: _update_image_flash_params` does (reference/esptool.md §9.3): only at the chip's bootloader
    /// offset, only for an image esptool's loader accepts; the appended SHA-256 is recomputed whenever patching
    /// runs. A frequency or size the chip does not have is an error, but only when patching happens, as in esptool.
    public func patch(_ image: [UInt8], at address: Int, chip: Chip) throws(FormatError) -> (bytes: [UInt8], outcome: PatchOutcome) {
        guard image.count >= 8, address == chip.bootloaderOffset, !keepsEverything else { return (image, .notApplicable) }
        guard image[0] == FirmwareImage.magic else {
            return (image, .notAnImage("Image file at 0x\(String(address, radix: 16)) doesn't look like an image file, so not changing any flash settings."))
        }
        let parsed: FirmwareImage
        do throws(FormatError) { parsed = try FirmwareImage(parsing: image, for: chip) } catch {
            return (image, .notAnImage("Image file at 0x\(String(address, radix: 16)) is not a valid \(chip.displayName) image, so not changing any flash settings."))
        }
        let mode = self.mode?.headerCode ?? image[2]
        var freq = image[3] & 0x0F
        if let frequency {
            guard let code = frequency.headerCode(for: chip) else {
                throw FormatError("flash.bad_frequency",
                                  "Flash frequency '\(frequency)' is not supported by this chip type. Supported frequencies: "
                                  + chip.flashFrequencies.map(\.name).joined(separator: ", "),
                                  at: SourceLocation(field: "flash_freq"))
            }
            freq = code
        }
        var sizeCode = image[3] & 0xF0
        if let size {
            guard let code = chip.flashSizeCode(size.name) else {
                throw FormatError("flash.bad_size",
                                  "Flash size '\(size)' is not supported by this chip type. Supported sizes: "
                                  + chip.flashSizes.map(\.name).joined(separator: ", "),
                                  at: SourceLocation(field: "flash_size"))
            }
            sizeCode = code
        }
        var out = image
        let newByte3 = sizeCode &+ freq
        let changed = out[2] != mode || out[3] != newByte3
        out[2] = mode
        out[3] = newByte3
        var digestUpdated = false
        // ESP8266 images have no digest (esptool would look at byte 23 anyway and then fail on it).
        if parsed.extendedHeader?.hashAppended == true {
            // Bytes after the digest (a merged image) are kept; a missing digest is appended.
            let end = parsed.dataLength
            let digest = Array(SHA256.hash(data: out[0..<end]))
            let tail = out.count > end + FirmwareImage.digestLength ? Array(out[(end + FirmwareImage.digestLength)...]) : []
            out = Array(out[0..<end]) + digest + tail
            digestUpdated = true
        }
        return (out, .patched(parameters: UInt16(mode) << 8 | UInt16(newByte3), changed: changed, digestUpdated: digestUpdated))
    }
}
