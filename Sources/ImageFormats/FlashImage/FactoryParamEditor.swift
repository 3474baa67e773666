/// `factory-param set`: new values for named module parameters inside a whole flash image (esp-at's
/// `at.py modify_bin`, without its silent failures), or inside a bare 4096-byte factory_param.bin.
///
/// Where the parameters live is read from the image: the raw `factory_param` partition of esp-at v1.1.3 – v3.0
/// (layout from the type CSV, or the built-in layout of its version byte), or the `factory_param` namespace of the
/// `mfg_nvs` NVS partition of esp-at v3.1+ (entries rewritten in place: same type, same span). Only the bytes of the
/// named fields change (and, in NVS, their entries' CRCs); anything that cannot be changed that way is refused.
public enum FactoryParamEditor {
    /// One `FIELD=VALUE` of the command line.
    public struct Assignment: Sendable, Hashable {
        public var field: String
        public var value: String

        public init(field: String, value: String) {
            self.field = field
            self.value = value
        }

        /// Parses `FIELD=VALUE` (the value may be empty, or contain `=`).
        public init?(parsing text: String) {
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else { return nil }
            field = String(text[..<equals])
            value = String(text[text.index(after: equals)...])
        }
    }

    /// One field rewritten: its bytes in the image and its value before and after.
    public struct Change: Sendable {
        public var field: String
        /// The image bytes this change may touch (the field; in NVS, the whole entry with its data).
        public var bytes: Range<Int>
        public var old: String
        public var new: String
    }

    public struct Result: Sendable {
        public var image: [UInt8]
        /// Where the parameters were found, for messages.
        public var location: String
        public var changes: [Change]
        public var warnings: [FormatWarning]
        /// How to read the parameters back from `image` (for the check after writing).
        public var reread: Source
    }

    /// Where the parameters are.
    public enum Source: Sendable {
        case raw(offset: Int, layout: FactoryParamLayout?)
        case nvs(range: Range<Int>)
    }

    /// The namespace esp-at v3.1+ keeps its module parameters in.
    public static let namespace = "factory_param"

    /// Finds the parameters in `image` and applies `assignments`. `partition` names the partition to edit
    /// (default: `factory_param`, else `mfg_nvs`); `tableOffset` pins the main partition table.
    public static func apply(_ assignments: [Assignment], to image: [UInt8], types: FactoryParamLayout?,
                             partition: String? = nil, tableOffset: Int? = nil) throws(FormatError) -> Result {
        var seen: Set<String> = []
        for a in assignments where !seen.insert(a.field).inserted {
            throw FormatError("factory_param.twice", "field '\(a.field)' is given twice", at: SourceLocation(field: a.field))
        }
        let source = try locate(in: image, partition: partition, tableOffset: tableOffset, types: types)
        switch source.source {
        case .raw(let offset, let layout):
            return try editRaw(assignments, image: image, offset: offset, layout: layout, location: source.description)
        case .nvs(let range):
            return try editNVS(assignments, image: image, range: range, location: source.description)
        }
    }

    static func locate(in image: [UInt8], partition: String?, tableOffset: Int?,
                       types: FactoryParamLayout?) throws(FormatError) -> (source: Source, description: String) {
        if partition == nil, tableOffset == nil, image.count == FactoryParamLayout.imageSize, image.starts(with: FactoryParamLayout.magic) {
            return (.raw(offset: 0, layout: types), "factory_param.bin")
        }
        let layout = try FlashLayout.locate(in: image, tableOffset: tableOffset)
        let chosen: FlashLayout.Partition
        if let partition {
            chosen = try layout.partition(named: partition)
        } else if let raw = try? layout.partition(named: "factory_param") {
            chosen = raw
        } else if let mfg = try? layout.partition(named: "mfg_nvs") {
            chosen = mfg
        } else {
            throw FormatError("factory_param.not_found", "the image has neither a factory_param nor an mfg_nvs partition",
                              help: "partitions: " + layout.partitions.map(\.name).joined(separator: ", ") + "; name one with --partition")
        }
        let range = chosen.range
        guard range.upperBound <= image.count else {
            throw FormatError("factory_param.outside", "partition '\(chosen.name)' (0x\(hexAddress(range.lowerBound))–0x\(hexAddress(range.upperBound))) "
                              + "ends past the image's \(image.count) bytes", at: SourceLocation(byteOffset: range.lowerBound))
        }
        let description = "\(chosen.name) at 0x\(hexAddress(range.lowerBound)) (listed in \(chosen.table))"
        if chosen.entry.type == 0x01 && chosen.entry.subtype == 0x02 { return (.nvs(range: range), description) }
        guard range.count >= FactoryParamLayout.imageSize else {
            throw FormatError("factory_param.small", "partition '\(chosen.name)' is \(range.count) bytes; factory_param needs \(FactoryParamLayout.imageSize)")
        }
        return (.raw(offset: range.lowerBound, layout: types), description)
    }

    /// Fields no edit may touch: without FC FC the firmware ignores the partition; the version byte says how it is laid out.
    static let protectedFields: Set<String> = ["magic_flag", "version"]

    // MARK: - Raw factory_param (esp-at v1.1.3 – v3.0)

    static func editRaw(_ assignments: [Assignment], image: [UInt8], offset: Int, layout: FactoryParamLayout?,
                        location: String) throws(FormatError) -> Result {
        let range = offset..<(offset + FactoryParamLayout.imageSize)
        let decoded = try FactoryParamImage.decode(Array(image[range]), layout: layout)
        var out = image
        var changes: [Change] = []
        var warnings = decoded.warnings
        for assignment in assignments {
            let place = SourceLocation(field: assignment.field)
            guard let field = decoded.fields.first(where: { $0.field.name == assignment.field }) else {
                throw FormatError("factory_param.no_field", "there is no field '\(assignment.field)' in \(location)", at: place,
                                  help: "fields: " + decoded.fields.map(\.field.name).joined(separator: ", "))
            }
            guard !protectedFields.contains(field.field.name) else {
                throw FormatError("factory_param.protected", "'\(field.field.name)' is not changed by set: the firmware reads the rest by it", at: place)
            }
            let bytes = try encode(assignment.value, for: field.field, at: place, warnings: &warnings)
            let start = offset + field.field.offset
            out.replaceSubrange(start..<(start + bytes.count), with: bytes)
            changes.append(Change(field: field.field.name, bytes: start..<(start + bytes.count),
                                  old: shown(field.value, unset: field.isUnset), new: assignment.value))
        }
        return Result(image: out, location: location, changes: changes, warnings: warnings, reread: .raw(offset: offset, layout: layout))
    }

    /// A field's bytes for `value`, with factory_param_generate.py's rules (and its refusals, as in `build`).
    static func encode(_ value: String, for field: FactoryParamLayout.Field, at place: SourceLocation,
                       warnings: inout [FormatWarning]) throws(FormatError) -> [UInt8] {
        switch field.kind {
        case .integer:
            let number = try FactoryParamImage.integer(value, options: FactoryParamImage.Options(), at: place)
            let bits = 8 * field.size
            guard number >= -(1 << (bits - 1)), number < (1 << bits) else {
                throw FormatError(.factoryBadCell, "\(value) does not fit in \(field.size) byte(s) (\(-(1 << (bits - 1)))...\((1 << bits) - 1))", at: place)
            }
            return (0..<field.size).map { UInt8(truncatingIfNeeded: number >> (8 * $0)) }
        case .string:
            let utf8 = Array(value.utf8)
            guard utf8.count <= field.size else {
                throw FormatError(.factoryBadCell, "'\(value)' is \(utf8.count) bytes; the field holds \(field.size)", at: place)
            }
            if utf8.count == field.size {
                warnings.append(FormatWarning("'\(value)' fills the \(field.size)-byte field, so it has no NUL terminator", at: place))
            }
            return utf8 + [UInt8](repeating: 0, count: field.size - utf8.count)
        }
    }

    static func shown(_ value: FactoryParamImage.Value, unset: Bool) -> String {
        switch value {
        case .integer(let v): unset ? "\(v) (unset)" : String(v)
        case .string(let s, _): unset ? "(unset)" : s
        }
    }

    /// The current value of each field, as `shown` prints it (for the check after writing).
    public static func values(in image: [UInt8], source: Source) throws(FormatError) -> [String: String] {
        switch source {
        case .raw(let offset, let layout):
            let decoded = try FactoryParamImage.decode(Array(image[offset..<(offset + FactoryParamLayout.imageSize)]), layout: layout)
            var out: [String: String] = [:]
            for f in decoded.fields { out[f.field.name] = shown(f.value, unset: f.isUnset) }
            return out
        case .nvs(let range):
            let nvs = try NVSImage(Array(image[range]))
            let index = try namespaceIndex(in: nvs)
            var out: [String: String] = [:]
            for item in nvs.pages.flatMap(\.items) where item.state == .written && item.crcValid && item.namespace == index {
                out[item.key] = nvsValue(item)
            }
            return out
        }
    }
}
