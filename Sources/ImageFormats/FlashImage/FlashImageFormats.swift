/// A whole flash image (a merged factory image or a read-flash dump) behind `FormatDecoder` (`flash-layout`): its
/// partition tables found as the editing and inspect commands find them.
public struct FlashLayoutFormat: FormatDecoder {
    public typealias Value = FlashLayout
    public init() {}
    public var formatName: String { "flash-layout" }
    public func decode(_ bytes: [UInt8]) throws(FormatError) -> FlashLayout { try FlashLayout.locate(in: bytes) }

    /// The integrity check runs, and every partition the tables list is selected by name and by offset without a
    /// crash, its bytes inside the image.
    public func checkProperties(_ bytes: [UInt8]) -> String? {
        guard let layout = try? decodeChecked(bytes) else { return nil }
        _ = FlashIntegrity.check(bytes, layout: layout)
        for partition in layout.partitions.prefix(16) {
            for region in [try? FlashRegion.select(bytes, offset: nil, partition: partition.name),
                           try? FlashRegion.select(bytes, offset: Int(partition.entry.offset), partition: nil)] {
                guard let region else { continue }
                guard region.base >= 0, region.base + region.bytes.count <= bytes.count else {
                    return "\(formatName): partition '\(partition.name)' selects bytes outside the image"
                }
            }
        }
        return nil
    }
}
