/// The mfg_nvs form (esp-at v3.1+): parameters are NVS entries in namespace `factory_param`. An entry is rewritten
/// where it is: an integer keeps its type (the value must fit it), a string keeps its span (the new text, with its
/// NUL, must need as many 32-byte entries). The data CRC and the entry CRC are recomputed; nothing else moves.
extension FactoryParamEditor {
    static func editNVS(_ assignments: [Assignment], image: [UInt8], range: Range<Int>, location: String) throws(FormatError) -> Result {
        var partition = Array(image[range])
        let nvs = try NVSImage(partition)
        let index = try namespaceIndex(in: nvs)
        let items = nvs.pages.flatMap(\.items).filter { $0.state == .written && $0.crcValid && $0.namespace == index }
        var changes: [Change] = []
        for assignment in assignments {
            let place = SourceLocation(field: assignment.field)
            guard let item = items.last(where: { $0.key == assignment.field }) else {
                throw FormatError("factory_param.no_field", "there is no key '\(assignment.field)' in namespace '\(namespace)' of \(location)", at: place,
                                  help: "keys: " + items.map(\.key).joined(separator: ", "))
            }
            guard !protectedFields.contains(item.key) else {
                throw FormatError("factory_param.protected", "'\(item.key)' is not changed by set: the firmware reads the rest by it", at: place)
            }
            let entry = try rewrite(item, header: Array(partition[item.address..<(item.address + NVSFormat.entrySize)]),
                                    with: assignment.value, at: place)
            partition.replaceSubrange(item.address..<(item.address + entry.count), with: entry)
            changes.append(Change(field: item.key, bytes: (range.lowerBound + item.address)..<(range.lowerBound + item.address + entry.count),
                                  old: nvsValue(item), new: assignment.value))
        }
        var out = image
        out.replaceSubrange(range, with: partition)
        return Result(image: out, location: "namespace '\(namespace)' of \(location)", changes: changes, warnings: [], reread: .nvs(range: range))
    }

    /// The index of namespace `factory_param`.
    static func namespaceIndex(in nvs: NVSImage) throws(FormatError) -> UInt8 {
        guard let index = nvs.namespaces.first(where: { $0.value == namespace })?.key else {
            throw FormatError("factory_param.no_namespace", "the NVS partition has no namespace '\(namespace)'",
                              help: "namespaces: " + nvs.namespaces.values.sorted().joined(separator: ", "))
        }
        return index
    }

    /// The item's entries (header and data) with the new value and fresh CRCs.
    static func rewrite(_ item: NVSImage.Item, header entry: [UInt8], with value: String, at place: SourceLocation) throws(FormatError) -> [UInt8] {
        guard let type = item.type else { throw FormatError("factory_param.nvs_type", "'\(item.key)' has an unknown type", at: place) }
        var header = NVSEntryBytes(bytes: entry)
        if type.isInteger {
            let number = try FactoryParamImage.integer(value, options: FactoryParamImage.Options(), at: place)
            let bits = type.width * 8
            let range = type.isSigned ? -(1 << (bits - 1))...((1 << (bits - 1)) - 1) : 0...(bits == 64 ? Int.max : (1 << bits) - 1)
            guard range.contains(number) else {
                throw FormatError(.factoryBadCell, "\(value) does not fit '\(item.key)', an \(type.name) (\(range.lowerBound)...\(range.upperBound))", at: place)
            }
            for i in 0..<8 { header.bytes[24 + i] = i < type.width ? UInt8(truncatingIfNeeded: number >> (8 * i)) : 0xFF }
            return header.withEntryCRC()
        }
        guard type == .string else {
            throw FormatError("factory_param.nvs_type", "'\(item.key)' is a \(type.name); set changes integers and strings only", at: place,
                              help: "for other entries, regenerate the NVS partition (nvs generate) and put it in with image replace")
        }
        let payload = Array(value.utf8) + [0]
        let span = (payload.count + NVSFormat.entrySize - 1) / NVSFormat.entrySize + 1
        guard span == item.span else {
            throw FormatError("factory_param.nvs_span",
                              "'\(value)' needs \(span) NVS entries; '\(item.key)' has \(item.span), so it cannot be rewritten in place", at: place,
                              help: "regenerate the mfg_nvs partition (nvs inspect --csv, edit, nvs generate) and put it in with image replace")
        }
        header.bytes[24] = UInt8(payload.count & 0xFF)
        header.bytes[25] = UInt8(payload.count >> 8)
        header.bytes[26] = 0xFF
        header.bytes[27] = 0xFF
        let crc = NVSChecksum.checksum(payload[...])
        for i in 0..<4 { header.bytes[28 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        let data = payload + [UInt8](repeating: 0xFF, count: (span - 1) * NVSFormat.entrySize - payload.count)
        return header.withEntryCRC() + data
    }

    /// An entry's value as `nvs inspect` shows it.
    static func nvsValue(_ item: NVSImage.Item) -> String {
        if let integer = item.integerValue { return integer }
        if item.type == .string, let payload = item.payload {
            return String(decoding: payload.last == 0 ? payload.dropLast() : payload[...], as: UTF8.self)
        }
        return item.payload?.hexString ?? ""
    }
}

/// The 32 bytes of an item's header entry, as found in the image.
struct NVSEntryBytes {
    var bytes: [UInt8]

    /// The entry with its CRC (over bytes 0..3 and 8..31) in bytes 4..7.
    func withEntryCRC() -> [UInt8] {
        var out = bytes
        let crc = NVSChecksum.entry(out[...])
        for i in 0..<4 { out[4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        return out
    }
}
