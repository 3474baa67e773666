import ImageFormats

/// One file to put into flash.
public struct FlashImage: Sendable {
    public var address: Int
    public var data: [UInt8]
    /// How reports name it (usually the file name).
    public var name: String

    public init(address: Int, data: [UInt8], name: String) {
        self.address = address
        self.data = data
        self.name = name
    }
}

/// Why a set of images cannot be written (bad input, not a device problem).
public struct FlashPlanError: Error, Sendable, CustomStringConvertible {
    public let name: String
    public let message: String
    public var description: String { "\(name): \(message)" }
}

/// A file laid out the way the ROM writes it: started at its 4 KB sector (the bytes before the file's address
/// become 0xFF, as esptool does in ROM mode), padded with 0xFF to 4 bytes, and cut into segments (`ErasePlan`):
/// data segments, each written with one FLASH_BEGIN that erases it, and runs of erased sectors that need no data on
/// the wire, only an erase where the chip does not already read 0xFF. The cuts are placed so that the ROM's erase
/// uses 64 KB block erases wherever it can.
public struct PlannedRegion: Sendable {
    public struct Segment: Sendable, Equatable {
        /// Offsets into `data`.
        public var range: Range<Int>
        /// Whole sectors of 0xFF: erased (if not already), never sent.
        public var blank: Bool
    }

    public let index: Int
    public let name: String
    /// The address the user gave.
    public let requestedAddress: Int
    /// Sector-aligned start of `data` in flash.
    public let address: Int
    public let data: [UInt8]
    public let segments: [Segment]
    /// MD5 of `data` (what the flash must hold).
    public let md5: String
    /// The file as given: its length and MD5.
    public let fileSize: Int
    public let fileMD5: String

    public var size: Int { data.count }
    public var end: Int { address + data.count }

    public static let sectorSize = 0x1000

    init(index: Int, image: FlashImage, blankRunThreshold: Int) {
        self.index = index
        name = image.name
        requestedAddress = image.address
        let lead = image.address % Self.sectorSize
        address = image.address - lead
        var bytes = [UInt8](repeating: 0xFF, count: lead) + image.data
        if bytes.count % 4 != 0 { bytes += [UInt8](repeating: 0xFF, count: 4 - bytes.count % 4) }
        data = bytes
        md5 = md5Hex(bytes)
        fileSize = image.data.count
        fileMD5 = lead == 0 && bytes.count == image.data.count ? md5 : md5Hex(image.data)
        segments = Self.split(bytes, firstSector: address / Self.sectorSize, blankRunThreshold: blankRunThreshold)
    }

    /// Cuts `data` (starting at sector `firstSector`) into data and blank segments with the least erase time
    /// (`ErasePlan`); runs of 0xFF sectors shorter than `blankRunThreshold` stay inside data segments.
    static func split(_ data: [UInt8], firstSector: Int, blankRunThreshold: Int) -> [Segment] {
        let sectors = (data.count + sectorSize - 1) / sectorSize
        var blank = [Bool](repeating: false, count: sectors)
        for s in 0..<sectors {
            let range = (s * sectorSize)..<min(data.count, (s + 1) * sectorSize)
            blank[s] = data[range].allSatisfy { $0 == 0xFF }
        }
        return ErasePlan.ranges(blank: blank, firstSector: firstSector, minimumBlankRun: max(1, blankRunThreshold / sectorSize)).map {
            Segment(range: ($0.range.lowerBound * sectorSize)..<min(data.count, $0.range.upperBound * sectorSize), blank: $0.blank)
        }
    }

    /// Checks that the images do not share a sector, fit the flash, and are not empty; lays them out.
    public static func plan(_ images: [FlashImage], flashSize: Int?, blankRunThreshold: Int = 0x10000) throws(FlashPlanError) -> [PlannedRegion] {
        var regions: [PlannedRegion] = []
        for (i, image) in images.enumerated() {
            guard image.address >= 0 else { throw FlashPlanError(name: image.name, message: "negative address") }
            guard !image.data.isEmpty else { throw FlashPlanError(name: image.name, message: "the file is empty") }
            let region = PlannedRegion(index: i, image: image, blankRunThreshold: blankRunThreshold)
            if let flashSize, region.end > flashSize {
                throw FlashPlanError(name: image.name, message: "ends at 0x\(hex(region.end)), past the end of the \(sizeName(flashSize)) flash")
            }
            regions.append(region)
        }
        let sorted = regions.sorted { $0.address < $1.address }
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            let aLastSector = (a.end - 1) / sectorSize
            if b.address / sectorSize <= aLastSector {
                throw FlashPlanError(name: b.name, message: "at 0x\(hex(b.requestedAddress)) overlaps \(a.name) (0x\(hex(a.requestedAddress))–0x\(hex(a.requestedAddress + a.size - (a.requestedAddress - a.address)))); files may not share a 4 KB sector")
            }
        }
        return regions
    }
}

func hex(_ value: Int) -> String { String(value, radix: 16) }

/// `4MB` for a table size, else the byte count.
func sizeName(_ bytes: Int) -> String { FlashSize(bytes: bytes)?.name ?? "\(bytes)-byte" }

extension PlannedRegion {
    /// The report entry of this region before anything happened to it.
    var outcome: RegionOutcome {
        RegionOutcome(index: index, name: name, address: requestedAddress, size: fileSize, md5: fileMD5,
                      flashAddress: address, flashSize: size, flashMD5: md5)
    }
}
