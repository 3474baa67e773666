extension BLEServiceTable {
    /// The JSON text exactly as Python 3's `json.dumps({"Service": [...]})` writes it in BLEService.py.
    public var jsonText: String {
        let objects = attributes.map { a -> String in
            let members = keyOrder.map { key -> String in
                let value: String
                switch key {
                case .index: value = String(a.index)
                case .uuidLength: value = String(a.uuidLength)
                case .uuid: value = "\"\(a.uuid)\""
                case .permissions: value = String(a.permissions)
                case .maxLength: value = String(a.maxLength)
                case .currentLength: value = String(a.currentLength)
                case .value: value = "\"\(a.value)\""
                }
                return "\"\(key.rawValue)\": \(value)"
            }
            return "{" + members.joined(separator: ", ") + "}"
        }
        return "{\"Service\": [" + objects.joined(separator: ", ") + "]}"
    }

    /// ble_data.bin: u16 LE length of the JSON, magic 27 95, the JSON. Refuses a result larger than
    /// `partitionSize` (nil: no check) or than the 16-bit length field can describe.
    public func encoded(partitionSize: Int? = BLEServiceTable.esp32PartitionSize) throws(FormatError) -> [UInt8] {
        let json = Array(jsonText.utf8)
        guard json.count <= Int(UInt16.max) else {
            throw FormatError(.bleTooLarge, "the JSON text is \(json.count) bytes; the length field holds at most 65535")
        }
        var writer = ByteWriter(capacity: json.count + 4)
        writer.writeUInt16LE(UInt16(json.count))
        writer.write(contentsOf: Self.magic)
        writer.write(contentsOf: json)
        if let partitionSize, writer.bytes.count > partitionSize {
            throw FormatError(.bleTooLarge, "ble_data.bin would be \(writer.bytes.count) bytes, larger than the \(partitionSize)-byte partition",
                              help: "shorten values or val_max_len, or give the real partition size with --partition-size")
        }
        return writer.bytes
    }

    /// Result of reading a ble_data.bin.
    public struct Decoded: Sendable {
        public var table: BLEServiceTable
        public var jsonLength: Int
        /// 0xFF bytes after the JSON (a partition read back from flash).
        public var trailingErasedBytes: Int
        public var warnings: [FormatWarning]
    }

    /// Reads ble_data.bin: checks the magic and that the length field matches the file (trailing 0xFF, as in a
    /// partition read from flash, is allowed), then the JSON structure BLEService.py writes.
    public static func decode(_ bytes: [UInt8]) throws(FormatError) -> Decoded {
        var reader = ByteReader(bytes, truncatedCode: .bleBadBinary)
        let length = Int(try reader.readUInt16LE("the length field"))
        let magic = Array(try reader.readBytes(2, "the magic"))
        guard magic == Self.magic else {
            throw FormatError(.bleBadBinary, "bad magic \(magic.spacedHex); ble_data.bin has 27 95 at offset 2", at: SourceLocation(byteOffset: 2))
        }
        guard reader.remaining >= length else {
            throw FormatError(.bleBadBinary, "the length field says \(length) bytes of JSON but only \(reader.remaining) follow",
                              at: SourceLocation(byteOffset: 0))
        }
        let trailing = bytes[(4 + length)...]
        guard trailing.allSatisfy({ $0 == 0xFF }) else {
            throw FormatError(.bleBadBinary, "\(trailing.count) byte(s) follow the \(length)-byte JSON text; the length field is wrong",
                              at: SourceLocation(byteOffset: 4 + length))
        }
        let json = try JSONText.parse(bytes[4..<(4 + length)], code: .bleBadBinary, baseOffset: 4)
        let table = try table(from: json)
        return Decoded(table: table, jsonLength: length, trailingErasedBytes: trailing.count, warnings: table.problems())
    }

    private static func table(from json: JSONText) throws(FormatError) -> BLEServiceTable {
        func fail(_ message: String) -> FormatError { FormatError(.bleBadBinary, message, at: SourceLocation(byteOffset: 4)) }
        guard case .array(let items)? = json["Service"] else { throw fail("the JSON has no \"Service\" list") }
        var attributes: [Attribute] = []
        var keyOrder: [Key] = []
        for (n, item) in items.enumerated() {
            guard case .object(let members) = item else { throw fail("Service[\(n)] is not an object") }
            var order: [Key] = []
            for member in members {
                guard let key = Key(rawValue: member.key) else { throw fail("Service[\(n)] has an unknown key \"\(member.key)\"") }
                order.append(key)
            }
            guard Set(order).count == Key.allCases.count, order.count == Key.allCases.count else {
                throw fail("Service[\(n)] must have each of the keys \(Key.allCases.map(\.rawValue).joined(separator: ", ")) once")
            }
            if n == 0 { keyOrder = order }
            func int(_ key: Key) throws(FormatError) -> Int {
                guard let v = item[key.rawValue]?.integer else { throw fail("Service[\(n)].\(key.rawValue) is not an integer") }
                return v
            }
            func hexString(_ key: Key) throws(FormatError) -> String {
                guard case .string(let s)? = item[key.rawValue],
                      s.unicodeScalars.allSatisfy({ $0.isASCII && $0.properties.isASCIIHexDigit }) else {
                    throw fail("Service[\(n)].\(key.rawValue) is not a hex string")
                }
                return s
            }
            attributes.append(Attribute(index: try int(.index), uuidLength: try int(.uuidLength), uuid: try hexString(.uuid),
                                        permissions: try int(.permissions), maxLength: try int(.maxLength),
                                        currentLength: try int(.currentLength), value: try hexString(.value)))
        }
        return BLEServiceTable(attributes: attributes, keyOrder: keyOrder.isEmpty ? Key.allCases : keyOrder)
    }

    /// What the firmware would likely trip over in a table read from a binary (the CSV reader refuses these).
    public func problems() -> [FormatWarning] {
        var warnings: [FormatWarning] = []
        for (n, a) in attributes.enumerated() {
            func warn(_ text: String) { warnings.append(FormatWarning("attribute \(n): " + text)) }
            if a.index != n { warn("index \(a.index) is out of order (expected \(n))") }
            if !Self.uuidLengths.contains(a.uuidLength) { warn("uuid_len \(a.uuidLength) is not 16, 32 or 128") }
            else if a.uuid.drop(while: { $0 == "0" }).count * 4 > a.uuidLength { warn("uuid \(a.uuid) does not fit in \(a.uuidLength) bits") }
            if a.permissions & ~Self.permissionMask != 0 || a.permissions < 0 { warn("perm 0x\(String(a.permissions, radix: 16)) has undefined bits") }
            if a.currentLength > a.maxLength { warn("val_cur_len \(a.currentLength) is larger than val_max_len \(a.maxLength)") }
            if a.value.utf8.count % 2 == 1 { warn("the value has an odd number of hex digits") }
            if a.valueByteCount != a.currentLength { warn("the value has \(a.valueByteCount) byte(s) but val_cur_len is \(a.currentLength)") }
        }
        return warnings
    }
}
