import ImageFormats
import SerialBootloader

/// The files every module gets, as one sparse flash: the bytes at an address, and the partitions their tables
/// define (the main table at 0x8000 and the at_customize table it points to), so that per-unit images can be
/// placed by partition name.
struct FlashLayout: Sendable {
    let images: [FlashImage]
    private(set) var mainTable: [PartitionEntry] = []
    private(set) var atCustomize: [PartitionEntry]?

    static let tableOffset = 0x8000

    init(_ images: [FlashImage]) {
        self.images = images.sorted { $0.address < $1.address }
        if let table = decodeTable(at: Self.tableOffset) {
            mainTable = table
            if let entry = table.first(where: { $0.name == "at_customize" }), let inner = decodeTable(at: Int(entry.offset)) {
                atCustomize = inner
            }
        }
    }

    /// Bytes at `address` from the file that covers it (up to `count`, fewer at the file's end).
    func bytes(at address: Int, count: Int) -> [UInt8]? {
        guard let image = images.first(where: { $0.address <= address && address < $0.address + $0.data.count }) else { return nil }
        let start = address - image.address
        return Array(image.data[start..<min(image.data.count, start + count)])
    }

    private func decodeTable(at address: Int) -> [PartitionEntry]? {
        guard let bytes = bytes(at: address, count: 0xC00), PartitionTable.isBinary(bytes),
              let decoded = try? PartitionTable.decode(bytes, checkMD5: false) else { return nil }
        return decoded.table.entries
    }

    /// A partition by name: the at_customize table's first (its names are what AT+SYSFLASH uses), then the main table's.
    func partition(named name: String) -> PartitionEntry? {
        (atCustomize ?? []).first { $0.name == name } ?? mainTable.first { $0.name == name }
    }

    var partitionNames: [String] { mainTable.map(\.name) + (atCustomize ?? []).map(\.name) }

    /// The files cut around `holes` (sector-aligned ranges that per-unit images fill), so that no file shares a
    /// sector with a per-unit image. Pieces keep their file's name.
    func cut(around holes: [Range<Int>]) -> [FlashImage] {
        var pieces: [FlashImage] = []
        for image in images {
            var parts: [Range<Int>] = [image.address..<(image.address + image.data.count)]
            for hole in holes {
                parts = parts.flatMap { part -> [Range<Int>] in
                    guard part.overlaps(hole) else { return [part] }
                    return [part.lowerBound..<hole.lowerBound, hole.upperBound..<part.upperBound].filter { !$0.isEmpty }
                }
            }
            for part in parts {
                let data = part.count == image.data.count ? image.data
                    : Array(image.data[(part.lowerBound - image.address)..<(part.upperBound - image.address)])
                pieces.append(FlashImage(address: part.lowerBound, data: data, name: image.name))
            }
        }
        return pieces
    }
}
