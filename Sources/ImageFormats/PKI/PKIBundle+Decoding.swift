extension PKIBundle {
    public struct Decoded: Sendable {
        public var bundle: PKIBundle
        /// The total length field (bytes of items after the 8-byte header).
        public var totalLength: Int
        /// 0xFF bytes after the last item (a partition read back from flash).
        public var trailingErasedBytes: Int
        public var warnings: [FormatWarning]
    }

    /// Reads a PKI bin (what AtPKI.py's `parse_bin` was meant to do). Any type byte is accepted: esp-at v2.2 – v2.4
    /// builds tagged CA and key items as cert (0x02), and the firmware does not look at it. Checks the magic, the
    /// item count and the total length against the items.
    public static func decode(_ bytes: [UInt8]) throws(FormatError) -> Decoded {
        var reader = ByteReader(bytes, truncatedCode: .pkiBadBinary)
        let magic = try reader.readUInt16LE("the magic")
        guard magic == Self.magic else {
            throw FormatError(.pkiBadBinary, "bad magic \([UInt8(magic & 0xFF), UInt8(magic >> 8)].spacedHex); a PKI bin starts with F1 F1",
                              at: SourceLocation(byteOffset: 0))
        }
        let count = Int(try reader.readUInt16LE("the item count"))
        let totalLength = Int(try reader.readUInt32LE("the total length"))
        guard totalLength <= reader.remaining else {
            throw FormatError(.pkiBadBinary, "the total length field says \(totalLength) bytes of items but only \(reader.remaining) follow",
                              at: SourceLocation(byteOffset: 4))
        }
        var items: [Item] = []
        var warnings: [FormatWarning] = []
        let end = headerSize + totalLength
        var seen: Set<[UInt8]> = []
        while reader.offset < end {
            let offset = reader.offset
            let kind = Kind(rawValue: try reader.readUInt8("an item type"))
            let id = try reader.readUInt8("an item id")
            let length = Int(try reader.readUInt16LE("an item length"))
            guard reader.offset + length <= end else {
                throw FormatError(.pkiBadBinary, "item \(items.count) (\(kind) \(id)) says \(length) bytes, past the end of the items",
                                  at: SourceLocation(byteOffset: offset + 2))
            }
            let content = Array(try reader.readBytes(length, "item content"))
            let padCount = min(Self.padding(length), end - reader.offset)
            let pad = try reader.readBytes(padCount, "item padding")
            if pad.contains(where: { $0 != 0xFF }) {
                warnings.append(FormatWarning("item \(items.count) has padding that is not 0xFF", at: SourceLocation(byteOffset: offset)))
            }
            if kind.word == nil {
                warnings.append(FormatWarning("item \(items.count) has an unknown type byte \(kind)", at: SourceLocation(byteOffset: offset)))
            }
            if !seen.insert([kind.rawValue, id]).inserted {
                warnings.append(FormatWarning("item \(items.count): \(kind) id \(id) appears twice", at: SourceLocation(byteOffset: offset)))
            }
            items.append(Item(kind: kind, id: id, content: content, offset: offset))
        }
        guard items.count == count else {
            throw FormatError(.pkiBadBinary, "the header says \(count) item(s) but the total length holds \(items.count)",
                              at: SourceLocation(byteOffset: 2))
        }
        let trailing = bytes[end...]
        guard trailing.allSatisfy({ $0 == 0xFF }) else {
            throw FormatError(.pkiBadBinary, "\(trailing.count) byte(s) follow the items; the total length field is wrong",
                              at: SourceLocation(byteOffset: end))
        }
        return Decoded(bundle: PKIBundle(items: items), totalLength: totalLength, trailingErasedBytes: trailing.count, warnings: warnings)
    }
}
