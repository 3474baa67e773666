/// The part of a whole flash image (or read-flash dump) an inspect command reads when given `--partition NAME` or
/// `--offset ADDR`: the named partition, found through the image's partition tables, or what starts at ADDR (the
/// extent of the partition starting there when the tables list one, else everything to the end of the image).
public struct FlashRegion: Sendable {
    /// Where the region starts in the image (= its flash address when the image starts at address 0).
    public var base: Int
    public var bytes: [UInt8]
    /// `partition 'ble_data' at 0x21000` or `0x30000`.
    public var description: String
    /// The partition the region is, when known.
    public var partition: FlashLayout.Partition?

    public static func select(_ image: [UInt8], offset: Int?, partition name: String?) throws(FormatError) -> FlashRegion {
        if let name {
            let partition = try FlashLayout.locate(in: image).partition(named: name)
            return try region(image, partition.range, partition: partition)
        }
        guard let offset else { return FlashRegion(base: 0, bytes: image, description: "the whole file") }
        guard offset >= 0, offset < image.count else {
            throw FormatError("flash.offset", "offset 0x\(hexAddress(offset)) is past the end of the \(image.count)-byte file")
        }
        if let layout = try? FlashLayout.locate(in: image), let partition = layout.partition(startingAt: offset) {
            return try region(image, partition.range, partition: partition)
        }
        return FlashRegion(base: offset, bytes: Array(image[offset...]), description: "0x\(hexAddress(offset))", partition: nil)
    }

    static func region(_ image: [UInt8], _ range: Range<Int>, partition: FlashLayout.Partition) throws(FormatError) -> FlashRegion {
        guard range.lowerBound < image.count else {
            throw FormatError("flash.outside", "partition '\(partition.name)' starts at 0x\(hexAddress(range.lowerBound)), past the end of the "
                              + "\(image.count)-byte file")
        }
        let end = min(range.upperBound, image.count)
        return FlashRegion(base: range.lowerBound, bytes: Array(image[range.lowerBound..<end]),
                           description: "partition '\(partition.name)' at 0x\(hexAddress(range.lowerBound))", partition: partition)
    }
}
