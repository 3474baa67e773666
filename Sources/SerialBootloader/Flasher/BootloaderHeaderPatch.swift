import Crypto
import ImageFormats

/// `-fm/-ff/-fs` for write-flash: rewrites the flash mode, frequency and size in the bootloader image header and
/// recomputes its appended SHA-256, as esptool `_update_image_flash_params` does (shared/reference/esptool.md §9.3).
/// Kept in one file so it can give way to the image-format code of merge-bin.
public struct FlashParameters: Sendable, Equatable {
    /// nil keeps the header's value.
    public var mode: String?
    public var frequency: String?
    /// Bytes; nil keeps the header's value.
    public var size: Int?

    public init(mode: String? = nil, frequency: String? = nil, size: Int? = nil) {
        self.mode = mode
        self.frequency = frequency
        self.size = size
    }

    public var keepsEverything: Bool { mode == nil && frequency == nil && size == nil }

    public static let modes: [String: UInt8] = ["qio": 0, "qout": 1, "dio": 2, "dout": 3]

    /// Frequency nibble per chip (esptool `FLASH_FREQUENCY` of each target).
    public static func frequencyCodes(_ chip: Chip) -> [String: UInt8] {
        Dictionary(chip.flashFrequencies.map { ($0.name, $0.code) }, uniquingKeysWith: { first, _ in first })
    }

    /// Size nibble (high half of byte 3): 1MB 0 … 128MB 7.
    static func sizeCode(_ bytes: Int) -> UInt8? {
        let table: [Int: UInt8] = [1 << 20: 0, 2 << 20: 1, 4 << 20: 2, 8 << 20: 3, 16 << 20: 4, 32 << 20: 5, 64 << 20: 6, 128 << 20: 7]
        return table[bytes]
    }

    /// The patched image, or nil when esptool would leave it alone (not at the bootloader offset, not an image,
    /// nothing to change). Throws a message for values the chip does not have.
    public func patch(_ data: [UInt8], address: Int, chip: Chip) throws(FlashPlanError) -> [UInt8]? {
        guard !keepsEverything, address == chip.bootloaderOffset, data.count >= 24, data[0] == 0xE9 else { return nil }
        var out = data
        if let mode {
            guard let code = Self.modes[mode] else { throw FlashPlanError(name: "-fm", message: "unknown flash mode '\(mode)' (qio, qout, dio, dout)") }
            out[2] = code
        }
        if let frequency {
            let codes = Self.frequencyCodes(chip)
            guard let code = codes[frequency] else {
                throw FlashPlanError(name: "-ff", message: "\(chip.displayName) has no flash frequency '\(frequency)' (\(codes.keys.sorted().joined(separator: ", ")))")
            }
            out[3] = out[3] & 0xF0 | code
        }
        if let size {
            guard let code = Self.sizeCode(size) else { throw FlashPlanError(name: "-fs", message: "no header code for flash size \(FlashSize.name(size))") }
            out[3] = out[3] & 0x0F | code << 4
        }
        if out[23] == 1, let length = Self.imageLength(out), length + 32 <= out.count {
            let digest = SHA256.hash(data: out[0..<length])
            out.replaceSubrange(length..<(length + 32), with: Array(digest))
        }
        return out
    }

    /// Bytes up to and including the checksum byte: 24-byte header, segments, zero padding to 15 mod 16, checksum.
    static func imageLength(_ data: [UInt8]) -> Int? {
        let segments = Int(data[1])
        var offset = 24
        for _ in 0..<segments {
            guard offset + 8 <= data.count else { return nil }
            let length = Int(data[offset + 4]) | Int(data[offset + 5]) << 8 | Int(data[offset + 6]) << 16 | Int(data[offset + 7]) << 24
            offset += 8 + length
            guard offset <= data.count else { return nil }
        }
        offset += 15 - offset % 16  // padding so that the checksum byte sits at 15 mod 16
        return offset + 1
    }
}
