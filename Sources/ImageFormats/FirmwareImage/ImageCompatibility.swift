/// The chip guard: whether the images a file holds were built for the connected chip and revision, as esptool
/// 5.6.0 `cmds.py: _get_image_incompatibility` decides (reference/esptool.md §7.1 step 3). Stricter than esptool
/// in where it looks: besides a file that is itself an image, it checks the bootloader inside a merged image (at the
/// chip's bootloader offset) and every app the merged image's partition table (at 0x8000) places inside it.
public enum ImageCompatibility {
    /// The partition table offset ESP-IDF and esp-at use (`CONFIG_PARTITION_TABLE_OFFSET` default).
    public static let partitionTableOffset = 0x8000

    /// Every image in `data` (destined for flash address `address`) that does not suit `chip` at `revision`.
    /// Without a revision only the chip is checked. Bytes that are not an image are not judged.
    public static func mismatches(in data: [UInt8], at address: Int, name: String, chip: Chip,
                                  revision: ChipRevision?) -> [ImageMismatch] {
        var found: [ImageMismatch] = []
        for (offset, label) in embeddedImages(in: data, at: address, name: name, chip: chip) {
            let bytes = offset == 0 ? data : Array(data[offset...])
            guard let image = try? FirmwareImage(parsing: bytes) else { continue }
            if let problem = mismatch(image, name: label, chip: chip, revision: revision) {
                found.append(ImageMismatch(address: address + offset, name: label, chip: chip, kind: problem))
            }
        }
        return found
    }

    /// Offsets in `data` where an image may start: the file itself, its bootloader, its apps.
    static func embeddedImages(in data: [UInt8], at address: Int, name: String, chip: Chip) -> [(Int, String)] {
        var places: [(Int, String)] = [(0, name)]
        let end = address + data.count
        let bootloader = chip.bootloaderOffset
        if address < bootloader, bootloader < end {
            places.append((bootloader - address, "\(name) (bootloader at 0x\(String(bootloader, radix: 16)))"))
        }
        let table = partitionTableOffset
        if address <= table, table < end, let decoded = try? PartitionTable.decode(Array(data[(table - address)...]), checkMD5: false) {
            for entry in decoded.table.entries where entry.type == 0 {  // app partitions
                let start = Int(entry.offset)
                if start > address, start < end {
                    places.append((start - address, "\(name) (app '\(entry.name)' at 0x\(String(start, radix: 16)))"))
                }
            }
        }
        return places
    }

    /// Why `image` does not suit `chip` at `revision`, or nil when it does.
    public static func mismatch(_ image: FirmwareImage, name: String, chip: Chip, revision: ChipRevision?) -> ImageMismatch.Kind? {
        guard let header = image.extendedHeader else { return nil }  // ESP32-family images always have one
        if header.chipID != chip.imageChipID { return .otherChip(imageChipID: header.chipID) }
        guard let revision else { return nil }
        // esptool uses min/max_rev_full unless the image predates them (max 0) or only set the legacy field.
        let useFull: Bool = switch header.maxRevisionFull {
        case 0: false
        case 0xFFFF: !(header.minRevisionFull == 0 && header.minRevision != 0)
        default: true
        }
        if useFull {
            let minimum = Int(header.minRevisionFull), maximum = Int(header.maxRevisionFull)
            if (minimum...max(minimum, maximum)).contains(revision.full) { return nil }
            let required: String
            if maximum == 0xFFFF {
                required = "\(ChipRevision(full: minimum)) or higher"
            } else if minimum == 0 {
                required = "\(ChipRevision(full: maximum)) or lower"
            } else {
                required = "in range \(ChipRevision(full: minimum)) - \(ChipRevision(full: maximum))"
            }
            return .revision(required: required, actual: revision.description)
        }
        // The legacy byte is the minor revision on the ESP32-C3, the major one elsewhere (ESP-IDF Kconfig).
        let actual = chip == .esp32c3 ? revision.minor : revision.major
        if actual >= Int(header.minRevision) { return nil }
        return .revision(required: "\(header.minRevision) or higher", actual: String(actual))
    }
}

/// An image that was built for another chip or revision than the connected one.
public struct ImageMismatch: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The header's chip id names another chip.
        case otherChip(imageChipID: UInt16)
        /// The chip's revision is outside what the header allows.
        case revision(required: String, actual: String)
    }

    /// Flash address where the image starts.
    public let address: Int
    /// The file, and for an image inside a merged one, which part of it.
    public let name: String
    /// The connected chip.
    public let chip: Chip
    public let kind: Kind

    public init(address: Int, name: String, chip: Chip, kind: Kind) {
        self.address = address
        self.name = name
        self.chip = chip
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .otherChip(let id):
            let other = Chip.withImageChipID(id)?.displayName ?? "chip id \(id)"
            return "'\(name)' is an \(other) image (chip id \(id)), not an \(chip.displayName) image"
        case .revision(let required, let actual):
            return "'\(name)' requires chip revision \(required) (this chip is revision \(actual))"
        }
    }
}
