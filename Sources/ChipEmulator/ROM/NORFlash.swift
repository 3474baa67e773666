/// A NOR flash chip: erased bytes are 0xFF, programming can only clear bits (new = old AND data), and erasing
/// works on whole 4 KB sectors.
public struct NORFlash: Sendable {
    public static let sectorSize = 0x1000
    public static let pageSize = 0x100

    public private(set) var contents: [UInt8]
    /// Sectors that erase but no longer program (a worn-out part; `--fault bad-sector=ADDR`).
    public private(set) var wornSectors: Set<Int> = []

    public init(size: Int) {
        contents = [UInt8](repeating: 0xFF, count: size)
    }

    /// Loads saved contents, padding or cutting them to `size`.
    public init(size: Int, contents saved: [UInt8]) {
        var bytes = Array(saved.prefix(size))
        if bytes.count < size { bytes += repeatElement(0xFF, count: size - bytes.count) }
        contents = bytes
    }

    public var size: Int { contents.count }

    /// Erases every sector that `[offset, offset+length)` touches; returns the sectors erased.
    @discardableResult
    public mutating func eraseSectors(covering offset: Int, length: Int) -> Range<Int> {
        guard length > 0 else { return 0..<0 }
        let first = offset / Self.sectorSize
        let last = (offset + length - 1) / Self.sectorSize
        let range = first..<min(last + 1, size / Self.sectorSize)
        for sector in range {
            let start = sector * Self.sectorSize
            contents.replaceSubrange(start..<(start + Self.sectorSize), with: repeatElement(0xFF, count: Self.sectorSize))
        }
        return range
    }

    /// Programs `data` at `offset` with NOR semantics (bits only go from 1 to 0). The caller checks bounds.
    public mutating func program(_ data: some Collection<UInt8>, at offset: Int) {
        var i = offset
        for byte in data {
            if wornSectors.isEmpty || !wornSectors.contains(i / Self.sectorSize) { contents[i] &= byte }
            i += 1
        }
    }

    /// From now on, programming the sector holding `offset` silently changes nothing.
    public mutating func wearOut(sectorContaining offset: Int) { wornSectors.insert(offset / Self.sectorSize) }

    /// Changes bytes directly, as if by another writer (used to tamper with flash in tests).
    public mutating func overwrite(_ data: [UInt8], at offset: Int) {
        contents.replaceSubrange(offset..<(offset + data.count), with: data)
    }

    public func read(_ offset: Int, _ length: Int) -> ArraySlice<UInt8> { contents[offset..<(offset + length)] }
}
