/// ESP-IDF `tools/mass_mfg/mfg_gen.py`: a config CSV (`key,type,encoding[,REPEAT]`, namespace rows `name,namespace,`)
/// and a master values CSV (header of keys, one row per device) become one generator CSV per device, with the
/// file names mfg_gen gives them (idf-formats.md §3). This type only plans; the caller generates and writes.
///
/// Checks are mfg_gen's (row widths, datatypes, encodings — `i16` is not accepted, as in mfg_gen — key order,
/// `--fileid`), reported with the physical line of the input file. Unlike mfg_gen it leaves no `_tmp` files and
/// matches values to keys by column name only.
public enum MassManufacturing {
    public struct ConfigItem: Sendable {
        public var line: Int
        public var key: String
        public var fields: [String]
        public var isNamespace: Bool
        public var isRepeat: Bool
    }

    public struct Device: Sendable {
        /// 1-based position in the values file.
        public var number: Int
        /// Physical line of the device's row in the values file.
        public var valuesLine: Int
        /// `prefix-[NNNN-]fileid`, the stem of the csv, bin and key file names.
        public var baseName: String
        /// The generator rows (`key,type,encoding,value`), namespaces as `name,namespace,,`.
        public var rows: [[String]]

        /// The intermediate CSV exactly as mfg_gen's `csv.writer` writes it (CRLF line ends).
        public var csvText: String {
            var text = "key,type,encoding,value\r\n"
            for row in rows {
                for (i, field) in row.enumerated() {
                    if i > 0 { text += "," }
                    text += PythonCSV.quoted(field)
                }
                text += "\r\n"
            }
            return text
        }

        /// Parsed rows for the generator, located at the device's values line.
        public var generatorRows: [NVSCSV.Row] {
            rows.map { r in NVSCSV.Row(line: valuesLine, key: r[0], type: r[1], encoding: r[2], value: .text(r[3])) }
        }
    }

    public struct Options: Sendable {
        public var prefix: String
        public var fileID: String?
        public var prefixNumber: (start: Int, digits: Int)?
        public init(prefix: String, fileID: String? = nil, prefixNumber: (start: Int, digits: Int)? = nil) {
            self.prefix = prefix
            self.fileID = fileID
            self.prefixNumber = prefixNumber
        }
    }

    /// mfg_gen's accepted datatypes and encodings (`verify_datatype_encoding`).
    static let datatypes: Set<String> = ["file", "data", "namespace"]
    static let encodings: Set<String> = ["string", "binary", "hex2bin", "u8", "i8", "u16", "u32", "i32", "u64", "i64", "base64"]

    /// Records of a CSV after mfg_gen's blank-line stripping, keeping physical line numbers.
    static func records(_ bytes: [UInt8], code: String) throws(FormatError) -> [PythonCSV.Record] {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        guard String(validating: body, as: UTF8.self) != nil else {
            throw TextDecoding.invalidUTF8(bytes, code: FormatError.Code(code + ".encoding"))
        }
        // mfg_gen drops lines for which `line.isspace()` holds.
        let lines = PythonCSV.lines(body).filter { line in
            !String(decoding: line.text, as: UTF8.self).unicodeScalars.allSatisfy(\.isPythonWhitespace)
        }
        return PythonCSV.records(lines)
    }

    /// Parses the config CSV. Error codes start with `mfg.config`.
    public static func config(_ bytes: [UInt8]) throws(FormatError) -> [ConfigItem] {
        let records = try records(bytes, code: "mfg.config")
        guard !records.isEmpty else { throw FormatError("mfg.config.empty", "the config file is empty") }
        var items: [ConfigItem] = []
        for r in records {
            var fields = r.fields
            let isRepeat = fields.contains("REPEAT")
            if isRepeat { fields.remove(at: fields.firstIndex(of: "REPEAT")!) }
            let loc = SourceLocation(line: r.line)
            // REPEAT is not one of the three (mfg_gen removes it first): `key,data,REPEAT` has two.
            guard isRepeat ? fields.count >= 3 : fields.count == 3 else {
                throw FormatError("mfg.config.fields", "a config row needs 3 fields key,type,encoding (this one has \(fields.count)"
                                  + (isRepeat ? " besides REPEAT)" : ")"), at: loc,
                                  help: "namespace rows are 'name,namespace,'")
            }
            guard datatypes.contains(fields[1]) else {
                throw FormatError("mfg.config.datatype", "invalid datatype '\(fields[1])' (use file, data or namespace)",
                                  at: SourceLocation(line: r.line, field: "type"))
            }
            let isNamespace = fields.contains("namespace")
            if !isNamespace, !encodings.contains(fields[2]) {
                throw FormatError("mfg.config.encoding", "invalid encoding '\(fields[2])' (mfg_gen accepts \(encodings.sorted().joined(separator: ", ")))",
                                  at: SourceLocation(line: r.line, field: "encoding"))
            }
            if fields[0].unicodeScalars.first == "#" {  // by code point, as Python: "#" plus a combining mark is one Character
                throw FormatError("mfg.config.key", "key '\(fields[0])' starts with '#': the NVS generator would drop the row as a comment", at: loc)
            }
            items.append(ConfigItem(line: r.line, key: fields[0], fields: fields, isNamespace: isNamespace, isRepeat: isRepeat))
        }
        return items
    }

    /// Plans every device. Error codes start with `mfg.config` (config file) or `mfg.values` (values file).
    public static func plan(config configBytes: [UInt8], values valuesBytes: [UInt8], options: Options) throws(FormatError) -> [Device] {
        let config = try config(configBytes)
        let records = try records(valuesBytes, code: "mfg.values")
        guard let header = records.first else { throw FormatError("mfg.values.empty", "the values file is empty") }
        let columns = header.fields
        var columnIndex: [String: Int] = [:]
        for (i, name) in columns.enumerated() where columnIndex[name] == nil { columnIndex[name] = i }

        if let fileID = options.fileID, columnIndex[fileID] == nil {
            throw FormatError("mfg.values.fileid", "--fileid column '\(fileID)' is not in the values file header", at: SourceLocation(line: header.line))
        }
        // Config keys must appear in the values header, in the same order (`verify_keys_exist`).
        let configKeys = Set(config.filter { !$0.isNamespace }.map(\.key))
        var pending = columns.filter { configKeys.contains($0) }[...]
        for item in config where !item.isNamespace {
            if pending.first == item.key {
                pending.removeFirst()
            } else {
                throw FormatError("mfg.config.key_missing",
                                  "key '\(item.key)' is not in the values file" + (columnIndex[item.key] != nil ? " at this position (keep the config order)" : ""),
                                  at: SourceLocation(line: item.line, field: "key"))
            }
        }
        let rows = records.dropFirst()
        for r in rows where r.fields.count != columns.count {
            throw FormatError("mfg.values.width", "the row has \(r.fields.count) values but the header has \(columns.count) keys",
                              at: SourceLocation(line: r.line))
        }
        let first = rows.first

        var devices: [Device] = []
        var number = options.prefixNumber?.start ?? 0
        var seen: [String: Int] = [:]
        for (n, r) in rows.enumerated() {
            func value(_ key: String, repeat isRepeat: Bool) -> String {
                let i = columnIndex[key]!
                // REPEAT values come from the first device row (`set_repeat_value`).
                return isRepeat && n > 0 ? first!.fields[i] : r.fields[i]
            }
            var out: [[String]] = []
            for item in config {
                if item.isNamespace {
                    out.append(item.fields + [""])
                } else {
                    out.append(Array(item.fields.prefix(3)) + [value(item.key, repeat: item.isRepeat)])
                }
            }
            let repeatKeys = Set(config.filter(\.isRepeat).map(\.key))
            let fileID = options.fileID.map { value($0, repeat: repeatKeys.contains($0)) } ?? String(n + 1)
            var base = options.prefix + "-"
            if let p = options.prefixNumber {
                let digits = String(number)
                base += String(repeating: "0", count: max(0, p.digits - digits.count)) + digits + "-"
                number += 1
            }
            base += fileID
            if let earlier = seen[base] {
                throw FormatError("mfg.values.duplicate_name", "device files would be named '\(base)' like the device on line \(earlier)",
                                  at: SourceLocation(line: r.line), help: "make the --fileid column unique or add --prefix-num")
            }
            seen[base] = r.line
            devices.append(Device(number: n + 1, valuesLine: r.line, baseName: base, rows: out))
        }
        return devices
    }
}
