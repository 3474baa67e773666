/// A program to load into RAM and run (`load-ram`): its segments and entry point, from an ESP application image
/// (what `elf2image` writes; esptool `load_ram`) or straight from a 32-bit little-endian ELF file (its PT_LOAD
/// program headers with file bytes, at their physical addresses, and `e_entry`).
public struct RAMImage: Sendable, Hashable {
    public struct Segment: Sendable, Hashable {
        public var address: UInt32
        public var data: [UInt8]

        public init(address: UInt32, data: [UInt8]) {
            self.address = address
            self.data = data
        }
    }

    public var segments: [Segment]
    public var entry: UInt32
    /// The image's chip id, when it is an ESP image (an ELF does not say).
    public var chipID: UInt16?

    public init(segments: [Segment], entry: UInt32, chipID: UInt16? = nil) {
        self.segments = segments
        self.entry = entry
        self.chipID = chipID
    }

    static let elfMagic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]

    /// An ESP image (first byte 0xE9) or an ELF file.
    public init(parsing bytes: [UInt8]) throws(FormatError) {
        if bytes.starts(with: Self.elfMagic) {
            try self.init(elf: bytes)
        } else if bytes.first == FirmwareImage.magic {
            let image = try FirmwareImage(parsing: bytes)
            self.init(segments: image.segments.map { Segment(address: $0.loadAddress, data: $0.data) }, entry: image.entryPoint,
                      chipID: image.extendedHeader?.chipID)
        } else {
            throw FormatError("ram.not_an_image", "neither an ESP image (first byte 0xE9) nor an ELF file",
                              at: SourceLocation(byteOffset: 0), help: "load-ram takes what elf2image writes, or the ELF itself")
        }
    }

    /// ELF32, little-endian: `e_entry` at 24, program headers at `e_phoff` (32 bytes each: type, offset, vaddr,
    /// paddr, filesz, memsz, flags, align). Loadable headers with file bytes are the segments.
    init(elf bytes: [UInt8]) throws(FormatError) {
        func fail(_ what: String, _ offset: Int) -> FormatError {
            FormatError("ram.bad_elf", what, at: SourceLocation(byteOffset: offset))
        }
        guard bytes.count >= 52 else { throw fail("ELF header truncated (\(bytes.count) bytes)", bytes.count) }
        guard bytes[4] == 1 else { throw fail("not a 32-bit ELF file (class \(bytes[4]))", 4) }
        guard bytes[5] == 1 else { throw fail("not a little-endian ELF file", 5) }
        func u32(_ at: Int) -> UInt32 { UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24 }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        let entry = u32(24), headerOffset = Int(u32(28)), headerSize = u16(42), headerCount = u16(44)
        guard headerSize >= 32 || headerCount == 0 else { throw fail("program header size \(headerSize) is below 32", 42) }
        var segments: [Segment] = []
        for i in 0..<headerCount {
            let at = headerOffset + i * headerSize
            guard at >= 0, at + 32 <= bytes.count else { throw fail("program header \(i) is past the end of the file", at) }
            let type = u32(at), offset = Int(u32(at + 4)), physical = u32(at + 12), fileSize = Int(u32(at + 16))
            guard type == 1, fileSize > 0 else { continue }  // PT_LOAD with bytes in the file
            guard offset + fileSize <= bytes.count else { throw fail("segment \(i) runs past the end of the file", at + 4) }
            segments.append(Segment(address: physical, data: Array(bytes[offset..<(offset + fileSize)])))
        }
        guard !segments.isEmpty else { throw fail("no loadable segment with data", headerOffset) }
        self.init(segments: segments, entry: entry)
    }

    /// Segments that do not lie in the chip's RAM (`IRAM`, `DRAM`, `RTC_*`, `DIRAM_*`, `MEM_INTERNAL` in the
    /// memory map): a ROM loader cannot load them; flash-mapped ones would crash the program.
    public func segmentsOutsideRAM(of chip: Chip) -> [Segment] {
        let ram = chip.memoryMap.filter { region in
            ["IRAM", "DRAM", "RTC_IRAM", "RTC_DRAM", "RTC_DATA", "DIRAM_IRAM", "DIRAM_DRAM", "MEM_INTERNAL", "MEM_INTERNAL2"].contains(region.name)
        }
        return segments.filter { segment in
            let end = UInt64(segment.address) + UInt64(segment.data.count)
            return !ram.contains { UInt64($0.start) <= UInt64(segment.address) && end <= UInt64($0.end) }
        }
    }
}
