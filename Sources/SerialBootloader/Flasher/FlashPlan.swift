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
/// become 0xFF, as esptool does in ROM mode), padded with 0xFF to 4 bytes, and cut into segments at long runs of
/// erased sectors so that those need no data on the wire, only an erase or nothing at all.
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
        segments = Self.split(bytes, blankRunThreshold: blankRunThreshold)
    }

    /// Cuts `data` at runs of whole 0xFF sectors at least `blankRunThreshold` long.
    static func split(_ data: [UInt8], blankRunThreshold: Int) -> [Segment] {
        let sectors = (data.count + sectorSize - 1) / sectorSize
        var blank = [Bool](repeating: false, count: sectors)
        for s in 0..<sectors {
            let range = (s * sectorSize)..<min(data.count, (s + 1) * sectorSize)
            blank[s] = data[range].allSatisfy { $0 == 0xFF }
        }
        let minimumRun = max(1, blankRunThreshold / sectorSize)
        var segments: [Segment] = []
        func append(_ range: Range<Int>, blank isBlank: Bool) {
            if let last = segments.last, last.blank == isBlank, last.range.upperBound == range.lowerBound {
                segments[segments.count - 1].range = last.range.lowerBound..<range.upperBound
            } else {
                segments.append(Segment(range: range, blank: isBlank))
            }
        }
        var s = 0
        while s < sectors {
            var e = s
            while e < sectors, blank[e] == blank[s] { e += 1 }
            let range = (s * sectorSize)..<min(data.count, e * sectorSize)
            append(range, blank: blank[s] && e - s >= minimumRun)
            s = e
        }
        return segments
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
