/// One `ADDR FILE` pair of merge-bin.
public struct MergeInput: Sendable, Hashable {
    public var address: Int
    /// The name errors and notes use (the path as the user gave it).
    public var name: String
    public var bytes: [UInt8]

    public init(address: Int, name: String, bytes: [UInt8]) {
        self.address = address
        self.name = name
        self.bytes = bytes
    }

    public var end: Int { address + bytes.count }
}

public enum MergeFormat: String, Sendable, CaseIterable {
    case raw, hex, uf2
}

public struct MergeOptions: Sendable {
    public var chip: Chip
    public var format: MergeFormat = .raw
    /// Flash address of the first output byte (raw only; esptool checks it for every format).
    public var targetOffset = 0
    /// Raw output ends at this absolute flash address.
    public var padToSize: Int?
    public var flash = FlashSettings()
    /// UF2 payload bytes per block; default 452 (476 without the MD5 part).
    public var uf2ChunkSize: Int?
    public var uf2MD5 = true

    public init(chip: Chip) { self.chip = chip }
}

/// What merging produced: the output and, per input, where it went and what header patching did.
/// The output is kept as its pieces (`segments` over `length` bytes of 0xFF), so a 16 MB padded image is never
/// built in memory just to be written; `bytes` assembles it when a caller wants one buffer.
public struct MergeResult: Sendable {
    /// Output size in bytes.
    public var length: Int
    /// Data at increasing, non-overlapping output offsets; every other byte is `fill`.
    public var segments: [Segment]
    public var placements: [Placement]
    /// Gap fill of raw output (erased flash).
    public static let fill: UInt8 = 0xFF

    public struct Segment: Sendable, Hashable {
        public var offset: Int
        public var bytes: [UInt8]
    }

    /// The whole output in one buffer.
    public var bytes: [UInt8] {
        if segments.count == 1, segments[0].offset == 0, segments[0].bytes.count == length { return segments[0].bytes }
        var out = [UInt8](repeating: Self.fill, count: length)
        out.withUnsafeMutableBufferPointer { buffer in
            for segment in segments where !segment.bytes.isEmpty {
                segment.bytes.withUnsafeBufferPointer { source in
                    (buffer.baseAddress! + segment.offset).update(from: source.baseAddress!, count: source.count)
                }
            }
        }
        return out
    }

    public struct Placement: Sendable, Hashable {
        public var address: Int
        public var name: String
        public var length: Int
        public var patch: FlashSettings.PatchOutcome
    }
}

/// esptool 5.6.0 `merge-bin` (`cmds.py: merge_bin`, `cli_util.py: AddrFilenamePairType`, `uf2_writer.py`;
/// reference/esptool.md §9.4), byte for byte. Two deliberate differences, both refusals where esptool writes a
/// wrong file without a word: content that ends past `--pad-to-size`, and a bootloader whose recomputed digest
/// grows it into the next file.
public enum FirmwareMerger {
    /// esptool checks overlaps at 4 KiB flash-sector granularity (`ESPLoader.FLASH_SECTOR_SIZE`).
    public static let sectorSize = 0x1000

    public static func merge(_ inputs: [MergeInput], options: MergeOptions) throws(FormatError) -> MergeResult {
        // esptool reads an input that parses as Intel HEX as its records (split at gaps); this tool does not yet,
        // so refuse rather than merge the text itself.
        if let hex = inputs.first(where: { looksLikeIntelHex($0.bytes) }) {
            throw FormatError("merge.hex_input", "\(hex.name) looks like an Intel HEX file; HEX inputs are not supported yet",
                              at: SourceLocation(field: hex.name), help: "convert it to a binary first (e.g. objcopy -I ihex -O binary)")
        }
        try checkBounds(inputs, options: options)
        let sorted = try sortedCheckingOverlaps(inputs)
        guard let first = sorted.first else {
            throw FormatError("merge.no_input", "No input data.", help: "give ADDR FILE pairs or --config FILE")
        }
        guard first.address >= options.targetOffset else {
            throw FormatError("merge.before_target",
                              "Output data target offset is \(options.targetOffset.pythonHex). Input data offset \(first.address.pythonHex) (\(first.name)) is before this.",
                              at: SourceLocation(field: first.name))
        }
        var patched: [MergeInput] = []
        var placements: [MergeResult.Placement] = []
        for input in sorted {
            let (bytes, outcome) = try options.flash.patch(input.bytes, at: input.address, chip: options.chip)
            patched.append(MergeInput(address: input.address, name: input.name, bytes: bytes))
            placements.append(.init(address: input.address, name: input.name, length: bytes.count, patch: outcome))
        }
        try checkGrowth(original: sorted, patched: patched)
        let whole: [UInt8]
        switch options.format {
        case .raw:
            let (length, segments) = try raw(patched, targetOffset: options.targetOffset, padToSize: options.padToSize)
            return MergeResult(length: length, segments: segments, placements: placements)
        case .hex: whole = IntelHex.encode(patched.map { ($0.address, $0.bytes) })
        case .uf2:
            var writer = try UF2Writer(familyID: options.chip.uf2FamilyID, chunkSize: options.uf2ChunkSize, md5: options.uf2MD5)
            for input in patched { writer.add(address: input.address, data: input.bytes) }
            whole = writer.bytes
        }
        return MergeResult(length: whole.count, segments: [.init(offset: 0, bytes: whole)], placements: placements)
    }

    /// Every address, end and size must lie within the largest flash (256 MB): esptool writes 0xFF without end
    /// for an address of 0xFFFFFFFFFFFF, and HEX/UF2 addresses past 4 GiB would wrap to 0, over the bootloader.
    static func checkBounds(_ inputs: [MergeInput], options: MergeOptions) throws(FormatError) {
        for input in inputs {
            do throws(FormatError) {
                try InputLimits.checkFlashExtent(input.address, "address")
                try InputLimits.checkFlashExtent(input.end, "\(input.name) ends at")
            } catch {
                throw FormatError("merge.beyond_flash", "\(input.name) at \(input.address.pythonHex): \(error.message)",
                                  at: SourceLocation(field: input.name), help: error.help)
            }
        }
        do throws(FormatError) {
            try InputLimits.checkFlashExtent(options.targetOffset, "--target-offset")
            if let pad = options.padToSize { try InputLimits.checkFlashExtent(pad, "--pad-to-size") }
        } catch {
            throw FormatError("merge.beyond_flash", error.message, help: error.help)
        }
    }

    /// Sorts by address (stable, as Python's `sorted`) and refuses two files that touch the same 4 KiB sector,
    /// exactly where esptool's `AddrFilenamePairType.convert` does, but naming both files.
    public static func sortedCheckingOverlaps(_ inputs: [MergeInput]) throws(FormatError) -> [MergeInput] {
        let sorted = inputs.enumerated().sorted { ($0.element.address, $0.offset) < ($1.element.address, $1.offset) }.map(\.element)
        var end = 0
        var previous: MergeInput?
        for input in sorted {
            let sectorStart = input.address & ~(sectorSize - 1)
            let sectorEnd = ((input.end + sectorSize - 1) & ~(sectorSize - 1)) - 1
            if sectorStart < end, let previous {
                let bytesOverlap = input.address < previous.end
                let what = bytesOverlap
                    ? "overlaps \(previous.name) (\(previous.address.pythonHex)..\(previous.end.pythonHex))"
                    : "shares a 4 KiB flash sector with \(previous.name) (\(previous.address.pythonHex)..\(previous.end.pythonHex)), which ends in sector \((end & ~(sectorSize - 1)).pythonHex)"
                throw FormatError("merge.overlap",
                                  "Detected overlap at address: \(input.address.pythonHex) for file: \(input.name): it \(what)",
                                  at: SourceLocation(field: input.name),
                                  help: "flash is erased in 4 KiB sectors, so every file must start in a sector of its own")
            }
            end = sectorEnd
            previous = input
        }
        return sorted
    }

    /// A recomputed digest can make a bootloader 32 bytes longer (when the file ended at its checksum); esptool
    /// then writes the next file late. Refuse instead.
    private static func checkGrowth(original: [MergeInput], patched: [MergeInput]) throws(FormatError) {
        for i in patched.indices.dropLast() where patched[i].end > patched[i + 1].address {
            throw FormatError("merge.overlap",
                              "\(patched[i].name) grows to \(patched[i].bytes.count) bytes when its SHA-256 digest is appended and would then overlap \(patched[i + 1].name) at \(patched[i + 1].address.pythonHex)",
                              at: SourceLocation(field: patched[i].name),
                              help: "use a bootloader image that already carries its digest, or leave the flash settings as they are")
        }
    }

    /// Raw output: the inputs at their offsets from `targetOffset` (sorted, non-overlapping), over 0xFF up to the
    /// end of the last input or `padToSize`.
    private static func raw(_ inputs: [MergeInput], targetOffset: Int, padToSize: Int?) throws(FormatError) -> (Int, [MergeResult.Segment]) {
        let contentEnd = inputs.map(\.end).max() ?? targetOffset
        var length = contentEnd - targetOffset
        if let padToSize {
            guard contentEnd <= padToSize else {
                let last = inputs.first { $0.end == contentEnd }!
                throw FormatError("merge.past_pad_size",
                                  "\(last.name) (\(last.address.pythonHex)..\(contentEnd.pythonHex)) ends past --pad-to-size \(padToSize.pythonHex)",
                                  at: SourceLocation(field: last.name),
                                  help: "esptool would silently write a larger file; choose a larger --pad-to-size or move the file")
            }
            length = max(length, padToSize - targetOffset)
        }
        let segments = inputs.filter { !$0.bytes.isEmpty }.map { MergeResult.Segment(offset: $0.address - targetOffset, bytes: $0.bytes) }
        return (max(0, length), segments)
    }

    /// The first line is a well-formed HEX record (`:` then an even number of hex digits).
    static func looksLikeIntelHex(_ bytes: [UInt8]) -> Bool {
        guard bytes.first == UInt8(ascii: ":") else { return false }
        let line = bytes.dropFirst().prefix { $0 != 0x0A && $0 != 0x0D }
        return line.count >= 10 && line.count % 2 == 0 && line.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x46).contains($0) || (0x61...0x66).contains($0) }
    }
}
