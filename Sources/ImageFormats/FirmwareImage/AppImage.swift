import Crypto

/// A valid application image for a chip, made without a compiler: the layout ESP-IDF's build gives an app
/// (reference/esptool.md §9.1): a flash-mapped data segment that starts with an `esp_app_desc_t`, a DRAM and an
/// IRAM segment (the entry point), a padding segment, and a flash-mapped code segment whose data sits at a file
/// offset congruent to its address modulo 64 KB; checksum and appended SHA-256. The code and data are seeded filler
/// (compressible about like firmware); nothing in it runs. It stands in for firmware that cannot be fetched here
/// (an esp-at build), so that flashing, the chip guard and image-info have a real image of the right chip.
public enum AppImage {
    public struct Options: Sendable, Hashable {
        public var chip: Chip
        /// `esp_app_desc_t.project_name` (at most 31 bytes).
        public var projectName = "esp-at"
        /// `esp_app_desc_t.version` (at most 31 bytes).
        public var version = "v2.4.0.0"
        /// `esp_app_desc_t.idf_ver`: says what made the image.
        public var idfVersion = "stand-in (espflash-swift)"
        public var compileDate = "Jan  1 2024"
        public var compileTime = "00:00:00"
        public var secureVersion: UInt32 = 0
        /// Header bytes 15–18; ESP-IDF's defaults for the ESP32 are v0.0 and v3.99.
        public var minimumRevision = ChipRevision(major: 0, minor: 0)
        public var maximumRevision = ChipRevision(major: 3, minor: 99)
        /// Header bytes 2–3 (`keep` values fall back to dio, 40m, 4MB).
        public var flash = FlashSettings(mode: .dio, frequency: FlashFrequency(name: "40m"), size: FlashSize(name: "4MB"))
        /// Bytes of filler in the code segment (the image is this plus about 5 KB).
        public var codeSize = 0x8000
        public var seed: UInt64 = 1

        public init(chip: Chip) { self.chip = chip }
    }

    static let mmuPage = 0x10000
    static let dataSize = 0x400, dramSize = 0x200, iramSize = 0x800

    /// The image bytes. Fails (naming the field) for strings too long for their descriptor field, or a flash
    /// setting the chip does not have.
    public static func make(_ options: Options) throws(FormatError) -> [UInt8] {
        let chip = options.chip
        guard chip.imageFormat == .esp32, chip.imageChipID != nil else {
            throw FormatError("app.bad_chip", "make-app writes ESP32-family images; \(chip.displayName) images have another layout",
                              at: SourceLocation(field: "chip"))
        }
        let description = try descriptor(options)
        var generator = SeededGenerator(seed: options.seed)
        let drom = description + filler(dataSize, &generator, text: true)
        let dromAddress = chip.dromMap.lowerBound + 0x20
        let dram = filler(dramSize, &generator, text: false)
        let iram = filler(iramSize, &generator, text: false)
        let dramAddress = region("DRAM", of: chip)
        var iramAddress = region("IRAM", of: chip)
        if iramAddress < dramAddress + UInt32(dram.count), dramAddress < iramAddress + UInt32(iram.count) {
            iramAddress = dramAddress + UInt32(dram.count)  // one memory for both (C5, C6, H2)
        }
        let codeSize = max(4, (options.codeSize + 3) / 4 * 4)
        let irom = filler(codeSize, &generator, text: false)
        // Code goes to the next MMU page after the data when both windows are one (C5, C6, H2).
        let dromPages = chip.iromMap == chip.dromMap ? (0x20 + drom.count + mmuPage - 1) / mmuPage : 0
        let iromAddress = chip.iromMap.lowerBound + UInt32(dromPages * mmuPage) + 0x20

        var segments: [(UInt32, [UInt8])] = [(dromAddress, drom), (dramAddress, dram), (iramAddress, iram)]
        // The code segment's data must start at a file offset ≡ its address (mod 64 KB): a padding segment
        // (load address 0) fills the gap, as esptool elf2image writes one.
        let used = FirmwareImage.headerLength + FirmwareImage.extendedHeaderLength
            + segments.reduce(0) { $0 + FirmwareImage.segmentHeaderLength + $1.1.count }
        let padding = ((Int(iromAddress) % mmuPage) - (used + 2 * FirmwareImage.segmentHeaderLength)) & (mmuPage - 1)
        if padding > 0 { segments.append((0, [UInt8](repeating: 0, count: padding))) }
        segments.append((iromAddress, irom))
        return try assemble(segments, entry: iramAddress, options: options)
    }

    /// A stand-in second-stage bootloader: a header with the chip id and a DRAM and an IRAM segment (the entry
    /// point) of seeded filler, `codeSize` bytes in all, with checksum and SHA-256. No flash-mapped segment, so it is
    /// small enough for the space before the partition table (bootloaders load into RAM). It runs nothing.
    public static func makeBootloader(_ options: Options) throws(FormatError) -> [UInt8] {
        var generator = SeededGenerator(seed: options.seed)
        let chip = options.chip
        let codeSize = max(8, (options.codeSize + 3) / 4 * 4)
        let dram = filler(max(4, codeSize / 4 / 4 * 4), &generator, text: true)
        let iram = filler(codeSize - dram.count, &generator, text: false)
        let dramAddress = region("DRAM", of: chip)
        var iramAddress = region("IRAM", of: chip)
        if iramAddress < dramAddress + UInt32(dram.count), dramAddress < iramAddress + UInt32(iram.count) {
            iramAddress = dramAddress + UInt32((dram.count + 0xFF) / 0x100 * 0x100)
        }
        return try assemble([(dramAddress, dram), (iramAddress, iram)], entry: iramAddress, options: options)
    }

    /// A program that lives in RAM only (DRAM data, IRAM code with the entry point; what `load-ram` takes, as
    /// `elf2image --ram-only-header` makes for the ROM loader). The code is seeded filler like `make`'s.
    public static func makeRAM(_ options: Options) throws(FormatError) -> [UInt8] {
        let chip = options.chip
        var generator = SeededGenerator(seed: options.seed)
        let dram = filler(dramSize, &generator, text: true)
        let iram = filler(max(4, (min(options.codeSize, 0x8000) + 3) / 4 * 4), &generator, text: false)
        let dramAddress = region("DRAM", of: chip)
        var iramAddress = region("IRAM", of: chip)
        if iramAddress < dramAddress + UInt32(dram.count), dramAddress < iramAddress + UInt32(iram.count) {
            iramAddress = dramAddress + UInt32(dram.count)
        }
        return try assemble([(dramAddress, dram), (iramAddress, iram)], entry: iramAddress, options: options)
    }

    /// Header, segments, checksum, SHA-256.
    static func assemble(_ segments: [(UInt32, [UInt8])], entry: UInt32, options: Options) throws(FormatError) -> [UInt8] {
        let chip = options.chip
        let mode = options.flash.mode ?? .dio
        let frequency = options.flash.frequency ?? FlashFrequency(name: "40m")!
        guard let frequencyCode = frequency.headerCode(for: chip) else {
            throw FormatError("app.bad_frequency", "\(chip.displayName) has no flash frequency \(frequency) ("
                              + chip.flashFrequencies.map(\.name).joined(separator: ", ") + ")", at: SourceLocation(field: "flash_freq"))
        }
        let size = options.flash.size ?? FlashSize(name: "4MB")!
        guard let sizeCode = size.headerCode else {
            throw FormatError("app.bad_size", "an \(chip.displayName) image header cannot name flash size \(size)",
                              at: SourceLocation(field: "flash_size"))
        }
        var out: [UInt8] = [FirmwareImage.magic, UInt8(segments.count), mode.headerCode, sizeCode | frequencyCode] + le32(entry)
        out += [FirmwareImage.wpPinDisabled, 0, 0, 0] + le16(chip.imageChipID ?? 0)
        // The legacy revision byte holds the minor revision on the ESP32-C3, the major one elsewhere.
        let legacy = chip == .esp32c3 ? options.minimumRevision.minor : options.minimumRevision.major
        out += [UInt8(clamping: legacy)] + le16(UInt16(clamping: options.minimumRevision.full))
        out += le16(UInt16(clamping: options.maximumRevision.full)) + [0, 0, 0, 0] + [1]  // reserved, hash appended
        var checksum = FirmwareImage.checksumSeed
        for (address, data) in segments {
            out += le32(address) + le32(UInt32(data.count)) + data
            checksum = data.reduce(checksum, ^)
        }
        while out.count % 16 != 15 { out.append(0) }
        out.append(checksum)
        out += Array(SHA256.hash(data: out))
        return out
    }

    /// `esp_app_desc_t` (ESP-IDF `esp_app_format.h`), 256 bytes.
    static func descriptor(_ options: Options) throws(FormatError) -> [UInt8] {
        func field(_ text: String, _ length: Int, _ name: String) throws(FormatError) -> [UInt8] {
            let bytes = Array(text.utf8)
            guard bytes.count < length, !bytes.contains(0) else {
                throw FormatError("app.field_too_long", "'\(text)' is \(bytes.count) bytes; \(name) holds at most \(length - 1)",
                                  at: SourceLocation(field: name))
            }
            return bytes + [UInt8](repeating: 0, count: length - bytes.count)
        }
        var out = le32(AppDescription.magic) + le32(options.secureVersion) + [UInt8](repeating: 0, count: 8)
        out += try field(options.version, 32, "version")
        out += try field(options.projectName, 32, "project_name")
        out += try field(options.compileTime, 16, "time")
        out += try field(options.compileDate, 16, "date")
        out += try field(options.idfVersion, 32, "idf_ver")
        // No ELF exists: the "ELF SHA-256" is that of the descriptor's text fields, so it changes with them.
        out += Array(SHA256.hash(data: out))
        out += le16(0) + le16(0) + [16] + [0, 0, 0]  // eFuse block revisions, MMU page 2^16, reserved
        out += [UInt8](repeating: 0, count: AppDescription.length - out.count)
        return out
    }

    /// Start of the chip's first memory region called `name`.
    static func region(_ name: String, of chip: Chip) -> UInt32 {
        chip.memoryMap.first { $0.name == name }?.start ?? 0
    }

    /// Seeded bytes: printable text, or instruction-like bytes with repeats (about half size under zlib).
    static func filler(_ count: Int, _ generator: inout SeededGenerator, text: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            let r = generator.next()
            if r % 4 == 0, out.count > 64 {
                let length = Int((r >> 8) % 24) + 4
                let from = Int((r >> 16) % UInt64(out.count - 32))
                for i in 0..<length where out.count < count { out.append(out[from + min(i, 31)]) }
            } else if text {
                out.append(UInt8(0x20 + (r >> 24) % 0x5F))
            } else {
                out.append(UInt8(truncatingIfNeeded: (r >> 24) % 64 + (r % 3 == 0 ? 0x20 : 0)))
            }
        }
        return out
    }

    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    static func le32(_ value: UInt32) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)] }
}
