/// Turns esp-idf-nvs-partition-gen CSV input into an NVS image, byte-identical to 0.3.0 `generate`.
///
/// The generator's quirks that still give a valid image are reproduced (and reported as warnings):
/// re-declaring a namespace does not switch back to it, rows before any namespace land in namespace 0,
/// unknown `type` values are treated as `data`, duplicate keys are written twice, and the Wi-Fi keys
/// `sta.ssid`/`sta.pswd`/`ap.*` add hidden entries. Where 0.3.0 crashes, corrupts its output or leaves an empty
/// file (integer out of range, bad hex/base64, a string that cannot fit in a page, too small a partition,
/// upper-case `HEX2BIN`/`BASE64`/`STRING`, non-ASCII `binary` text, keys over 15 bytes, a 255th namespace)
/// this generator throws an error naming the CSV line.
public struct NVSGenerator: Sendable {
    /// What a CSV row's `value` column holds after `type` is applied.
    public enum Value: Sendable {
        case text(String)
        /// The contents of a `file` row.
        case bytes([UInt8])
        /// The row has no `value` column at all (too few fields).
        case missing
    }

    /// Reads the file a `file` row names (relative to the current directory, as 0.3.0 does).
    public typealias FileLoader = (String) throws(FormatError) -> [UInt8]

    public private(set) var builder: NVSImageBuilder
    public private(set) var warnings: [FormatWarning] = []
    private var namespaces: [String: Int] = [:]
    private var namespaceNames: [String] = []
    /// (namespace, key) pairs written so far, packed into 16 bytes (keys are at most 15 bytes).
    private var seenKeys: Set<PackedKey> = []
    private var wifiExtrasWritten = false
    private var apSSID: String?
    private var apPassword: String?
    private var apAuthMode: String?

    public init(size: Int, version: NVSFormat.Version = .v2) throws(FormatError) {
        builder = try NVSImageBuilder(size: size, version: version)
        if builder.isReadOnly {
            warnings.append(FormatWarning(
                "partition size 0x\(String(size, radix: 16)) is below 0x3000: the image is only valid as a read-only partition "
                + "(flag it 'readonly' in the partition table)"))
        }
    }

    /// The finished image: SIZE bytes for a read/write partition, only the used pages for a read-only one.
    public func image() -> [UInt8] { builder.finished() }

    /// `image()` for a generator that is done: the builder's buffer becomes the image without a copy.
    public consuming func finishedImage() -> [UInt8] { builder.finishedImage() }

    /// One-call form: a whole CSV file into an image.
    public static func generate(csv: [UInt8], size: Int, version: NVSFormat.Version = .v2,
                                loadFile: FileLoader) throws(FormatError) -> (image: [UInt8], warnings: [FormatWarning]) {
        var generator = try NVSGenerator(size: size, version: version)
        try generator.add(csv: csv, loadFile: loadFile)
        let warnings = generator.warnings
        return (generator.finishedImage(), warnings)
    }

    // MARK: - CSV input

    /// Adds every row of one CSV file. Namespace state carries over between files, as in 0.3.0.
    public mutating func add(csv: [UInt8], loadFile: FileLoader) throws(FormatError) {
        try NVSCSV.forEachRow(csv) { row throws(FormatError) in try add(row: row, loadFile: loadFile) }
    }

    /// Adds parsed rows (from `NVSCSV.rows` or a mass-manufacturing plan).
    public mutating func add(rows: [NVSCSV.Row], loadFile: FileLoader) throws(FormatError) {
        seenKeys.reserveCapacity(seenKeys.count + rows.count)
        for row in rows { try add(row: row, loadFile: loadFile) }
    }

    /// Adds one parsed row; errors and warnings name its line.
    public mutating func add(row: NVSCSV.Row, loadFile: FileLoader) throws(FormatError) {
        let warningCount = warnings.count
        defer {
            for i in warningCount..<warnings.count {
                var location = warnings[i].location
                location.line = location.line ?? row.line
                warnings[i] = FormatWarning(warnings[i].message, at: location)
            }
        }
        do throws(FormatError) {
            var value = row.value
            if row.type == "file", row.key != nil, !Self.isWiFiStationKey(row.key!) {
                guard case .text(let path) = row.value else {
                    throw FormatError("nvs.missing_value", "a file row needs a path in the value column", at: SourceLocation(field: "value"))
                }
                do throws(FormatError) { value = .bytes(try loadFile(path)) } catch {
                    throw FormatError(error.code, error.message, at: SourceLocation(field: "value"), help: error.help)
                }
            }
            try add(key: row.key, type: row.type, encoding: row.encoding, value: value, rawValue: row.value)
        } catch {
            throw error.located(line: row.line)
        }
    }

    /// Adds one row (`write_entry` of 0.3.0). `rawValue` is the CSV text before a `file` row was read,
    /// which the Wi-Fi extras use.
    public mutating func add(key: String?, type: String?, encoding: String?, value: Value, rawValue: Value) throws(FormatError) {
        guard let key else { throw FormatError("nvs.missing_key", "the row has no key column", at: SourceLocation(field: "key")) }
        let keyBytes = Array(key.utf8)
        // The device compares keys up to their first NUL: 'a\0b' would be key 'a', maybe twice.
        guard !keyBytes.contains(0) else {
            throw FormatError("nvs.key_nul", "key '\(key.prefix { $0 != "\0" })…' holds a NUL byte; the device would read only what is before it",
                              at: SourceLocation(field: "key"))
        }
        // Every scalar takes at least one UTF-8 byte, so this also bounds the character count 0.3.0 checks.
        guard keyBytes.count <= NVSFormat.maxKeyLength else {
            throw FormatError("nvs.key_too_long", "key '\(key)' is \(keyBytes.count) bytes long; NVS keys hold at most 15",
                              at: SourceLocation(field: "key"))
        }

        if Self.isAccessPointKey(key) { try noteAccessPointKey(key, rawValue: rawValue, encoding: encoding) }

        if Self.isWiFiStationKey(key) {
            // 0.3.0 writes these before looking at `type`, so a `file` row stores its path text.
            try addEntry(key: keyBytes, name: key, value: rawValue, encoding: encoding)
            if !wifiExtrasWritten {
                warnings.append(FormatWarning("key '\(key)' also adds the hidden entries sta.apinfo, sta.pmk and sta.apsw, as esp-idf-nvs-partition-gen does"))
                for extra in NVSWiFiEntries.stationExtras { try addBlob(key: Array(extra.key.utf8), name: extra.key, data: extra.data) }
                wifiExtrasWritten = true
            }
            return
        }

        if type == "namespace" {
            try addNamespace(key)
        } else {
            try addEntry(key: keyBytes, name: key, value: value, encoding: encoding)
        }
    }

    // MARK: - Namespaces

    private mutating func addNamespace(_ name: String) throws(FormatError) {
        if let index = namespaces[name] {
            if index != namespaceNames.count {
                warnings.append(FormatWarning(
                    "namespace '\(name)' is declared again; like esp-idf-nvs-partition-gen, the rows that follow stay in "
                    + "namespace '\(namespaceNames.last!)' (index \(namespaceNames.count)), not '\(name)'",
                    at: SourceLocation(field: "key")))
            }
            return
        }
        // Index 255 is NS_ANY on the device; 0.3.0 writes it silently and crashes at 256.
        guard namespaceNames.count < 254 else {
            throw FormatError("nvs.too_many_namespaces", "namespace '\(name)' would be the 255th; NVS has at most 254 namespaces",
                              at: SourceLocation(field: "key"))
        }
        namespaceNames.append(name)
        namespaces[name] = namespaceNames.count
        let index = UInt64(namespaceNames.count)
        try place { (b: inout NVSImageBuilder) throws(NVSImageBuilder.PlacementError) in
            try b.addPrimitive(namespace: 0, type: .u8, key: Array(name.utf8), value: index)
        }
    }

    private var currentNamespace: UInt8 { UInt8(namespaceNames.count) }

    // MARK: - Entries

    /// `NVS.write_entry`: decodes the value by encoding, then places it.
    private mutating func addEntry(key: [UInt8], name: String, value: Value, encoding rawEncoding: String?) throws(FormatError) {
        guard let rawEncoding else {
            throw FormatError("nvs.bad_encoding", "the row has no encoding column", at: SourceLocation(field: "encoding"))
        }
        let encoding = rawEncoding
        if encoding.utf8.first == UInt8(ascii: "b"), encoding.hasPrefix("blob_fill") || encoding.hasPrefix("blob_sz_fill") {
            // 0.3.0 turns the filled bytes into hex text and decodes that again as hex2bin: a blob of exactly these bytes.
            try addBlob(key: key, name: name, data: try Self.blobFill(encoding: encoding, value: value, key: name))
            return
        }
        // Python's str.lower(); the common all-lower-case ASCII spelling needs no new string.
        let lower = encoding.utf8.allSatisfy({ $0 < 0x80 && !(0x41...0x5A).contains($0) }) ? encoding : encoding.lowercased()
        if lower != encoding, ["hex2bin", "base64", "string"].contains(lower) {
            throw FormatError("nvs.bad_encoding",
                              "encoding '\(encoding)' must be written in lower case",
                              at: SourceLocation(field: "encoding"),
                              help: "esp-idf-nvs-partition-gen would store the text undecoded; write '\(lower)'")
        }
        if let type = NVSFormat.ItemType.integer(named: lower) {
            let text: String
            switch value {
            case .text(let t): text = t
            case .bytes(let b): text = String(decoding: b, as: UTF8.self)
            case .missing: throw Self.missingValue(encoding)
            }
            switch NVSValueText.integer(text, as: type) {
            case .success(let bits):
                note(key: key, name: name)
                let ns = currentNamespace
                try place { (b: inout NVSImageBuilder) throws(NVSImageBuilder.PlacementError) in
                    try b.addPrimitive(namespace: ns, type: type, key: key, value: bits)
                }
            case .failure(.outOfRange):
                throw FormatError("nvs.out_of_range", "value \(text.pythonStripped()) is out of range for \(lower) (\(NVSValueText.range(of: type)))",
                                  at: SourceLocation(field: "value"))
            case .failure(.invalid(let why)):
                throw FormatError("nvs.bad_value", why, at: SourceLocation(field: "value"))
            }
            return
        }
        switch lower {
        case "string":
            var bytes: [UInt8]
            switch value {
            case .text(let t): bytes = Array(t.utf8)
            case .bytes(let b):
                guard String(validating: b, as: UTF8.self) != nil else {
                    throw FormatError("nvs.bad_value", "the file is not UTF-8 text, which a string needs", at: SourceLocation(field: "value"),
                                      help: "use encoding 'binary' for binary files")
                }
                bytes = b
            case .missing: throw Self.missingValue(encoding)
            }
            // Written as given (as 0.3.0 does), but C code reading the string stops at a NUL, and neither a NUL nor
            // a CR survives `nvs inspect --csv`.
            if bytes.contains(0) {
                warnings.append(FormatWarning("string '\(name)' holds a NUL byte: nvs_get_str returns it whole, but C code reading it stops at the first NUL",
                                              at: SourceLocation(field: "value")))
            } else if bytes.contains(13) {
                warnings.append(FormatWarning("string '\(name)' holds a carriage return, which an exported CSV cannot carry back",
                                              at: SourceLocation(field: "value")))
            }
            bytes.append(0)
            let limit = builder.version == .v1 ? NVSFormat.maxVarLengthSizeV1 : NVSFormat.maxStringSizeV2
            guard bytes.count <= limit else {
                throw FormatError("nvs.too_large", "string of \(bytes.count) bytes (with its NUL) exceeds the limit of \(limit) bytes",
                                  at: SourceLocation(field: "value"))
            }
            note(key: key, name: name)
            let ns = currentNamespace
            try place { (b: inout NVSImageBuilder) throws(NVSImageBuilder.PlacementError) in
                try b.addSinglePage(namespace: ns, type: .string, key: key, data: bytes)
            }
        case "hex2bin":
            let digits: [Unicode.Scalar]
            switch value {
            case .text(let t): digits = Array(t.pythonStripped().unicodeScalars)
            case .bytes(let b): digits = b.asciiStripped().map { Unicode.Scalar($0) }
            case .missing: throw Self.missingValue(encoding)
            }
            guard digits.count % 2 == 0 else {
                throw FormatError("nvs.bad_value", "hex2bin value has an odd number of digits (\(digits.count))", at: SourceLocation(field: "value"))
            }
            guard let bytes = NVSValueText.hex(digits) else {
                throw FormatError("nvs.bad_value", "hex2bin value contains a non-hexadecimal character", at: SourceLocation(field: "value"))
            }
            try addBlob(key: key, name: name, data: bytes)
        case "base64":
            let input: [UInt8]
            switch value {
            case .text(let t):
                guard t.unicodeScalars.allSatisfy(\.isASCII) else {
                    throw FormatError("nvs.bad_value", "base64 value contains non-ASCII characters", at: SourceLocation(field: "value"))
                }
                input = Array(t.utf8)
            case .bytes(let b): input = b
            case .missing: throw Self.missingValue(encoding)
            }
            switch NVSValueText.base64(input) {
            case .success(let bytes): try addBlob(key: key, name: name, data: bytes)
            case .failure(let p):
                let why = if case .invalid(let m) = p { m } else { "invalid base64" }
                throw FormatError("nvs.bad_value", why, at: SourceLocation(field: "value"))
            }
        case "binary":
            let bytes: [UInt8]
            switch value {
            case .text(let t):
                // 0.3.0 sizes text blobs by characters but stores UTF-8 bytes, corrupting non-ASCII data.
                guard t.unicodeScalars.allSatisfy(\.isASCII) else {
                    throw FormatError("nvs.bad_value", "binary text values must be ASCII", at: SourceLocation(field: "value"),
                                      help: "use hex2bin or base64 for other bytes, or a file row")
                }
                bytes = Array(t.utf8)
            case .bytes(let b): bytes = b
            case .missing: throw Self.missingValue(encoding)
            }
            try addBlob(key: key, name: name, data: bytes)
        default:
            throw FormatError("nvs.bad_encoding", "unsupported encoding '\(lower)'", at: SourceLocation(field: "encoding"),
                              help: "use u8, i8, u16, i16, u32, i32, u64, i64, string, hex2bin, base64 or binary (no spaces around commas)")
        }
    }

    /// A blob: multi-page chunks in format 2, a single-page 0x41 blob (at most 1984 bytes) in format 1.
    private mutating func addBlob(key: [UInt8], name: String, data: [UInt8]) throws(FormatError) {
        note(key: key, name: name)
        let ns = currentNamespace
        if builder.version == .v1 {
            guard data.count <= NVSFormat.maxVarLengthSizeV1 else {
                throw FormatError("nvs.too_large", "blob of \(data.count) bytes exceeds the format-1 limit of 1984 bytes",
                                  at: SourceLocation(field: "value"), help: "use --version 2 for multi-page blobs")
            }
            try place { (b: inout NVSImageBuilder) throws(NVSImageBuilder.PlacementError) in
                try b.addSinglePage(namespace: ns, type: .blobV1, key: key, data: data)
            }
        } else {
            try place { (b: inout NVSImageBuilder) throws(NVSImageBuilder.PlacementError) in
                try b.addMultiPageBlob(namespace: ns, key: key, data: data)
            }
        }
    }

    private mutating func note(key: [UInt8], name: String) {
        if namespaceNames.isEmpty {
            warnings.append(FormatWarning("key '\(name)' comes before any namespace and is stored in namespace 0, as esp-idf-nvs-partition-gen does; the device will not find it",
                                          at: SourceLocation(field: "key")))
        }
        if !seenKeys.insert(PackedKey(namespace: currentNamespace, key: key)).inserted {
            warnings.append(FormatWarning("key '\(name)' appears twice in the same namespace; both entries are written", at: SourceLocation(field: "key")))
        }
    }

    private mutating func place(_ body: (inout NVSImageBuilder) throws(NVSImageBuilder.PlacementError) -> Void) throws(FormatError) {
        do throws(NVSImageBuilder.PlacementError) { try body(&builder) } catch {
            switch error {
            case .doesNotFitInPage(let entries):
                throw FormatError("nvs.too_large",
                                  "the value needs \(entries) entries but esp-idf-nvs-partition-gen fits at most 125 in a page "
                                  + "(strings: at most 3968 bytes including the NUL)",
                                  at: SourceLocation(field: "value"))
            case .partitionFull:
                throw FormatError("nvs.partition_full",
                                  "the data does not fit in a partition of 0x\(String(builder.size, radix: 16)) bytes",
                                  help: "increase SIZE (the last page of a read/write partition is reserved)")
            }
        }
    }

    private static func missingValue(_ encoding: String) -> FormatError {
        FormatError("nvs.missing_value", "the row has no value column for encoding '\(encoding)'", at: SourceLocation(field: "value"))
    }

    // MARK: - blob_fill(N;0xHH) and blob_sz_fill(N;0xHH)

    /// The undocumented fill encodings: the value padded to N bytes with HH (`sz`: prefixed by its u32 length).
    static func blobFill(encoding: String, value: Value, key: String) throws(FormatError) -> [UInt8] {
        let sized = encoding.hasPrefix("blob_sz_fill")
        let prefix = sized ? "blob_sz_fill(" : "blob_fill("
        let bad = FormatError("nvs.bad_encoding", "\(encoding): invalid encoding format, expected \(prefix)N;0xHH)",
                              at: SourceLocation(field: "encoding"))
        guard encoding.hasPrefix(prefix) else { throw bad }
        let rest = encoding.dropFirst(prefix.count)
        guard let semicolon = rest.firstIndex(of: ";") else { throw bad }
        let digits = rest[..<semicolon]
        let after = rest[rest.index(after: semicolon)...]
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let length = Int(digits), length <= 1 << 24,
              after.count >= 5, after.hasPrefix("0x"), after.dropFirst(4).first == ")",
              after.dropFirst(2).prefix(2).allSatisfy(\.isHexDigit),
              let fill = UInt8(after.dropFirst(2).prefix(2), radix: 16) else { throw bad }
        var content: [UInt8]
        switch value {
        case .text(let t): content = Array(t.utf8)
        case .bytes(let b): content = b
        case .missing: content = []
        }
        guard content.count <= length else {
            throw FormatError("nvs.too_large", "\(key): value length \(content.count) exceeds the \(length) bytes of \(encoding)",
                              at: SourceLocation(field: "value"))
        }
        var out: [UInt8] = []
        if sized { out = (0..<4).map { UInt8(truncatingIfNeeded: content.count >> (8 * $0)) } }
        out += content
        out += [UInt8](repeating: fill, count: length - content.count)
        return out
    }

    // MARK: - Wi-Fi extras (0.3.0 `write_entry` wrapper, since 0.1.8)

    static func isWiFiStationKey(_ key: String) -> Bool { NVSWiFiEntries.stationKeys.contains(key) }
    static func isAccessPointKey(_ key: String) -> Bool { NVSWiFiEntries.accessPointKeys.contains(key) }

    /// Tracks ap.ssid/ap.passwd/ap.authmode; once all three are set (authmode not "0"), writes `ap.pmk_info`
    /// (100 zero bytes + PBKDF2-HMAC-SHA1(passwd, ssid, 4096, 32)) before the row, every time such a row comes.
    private mutating func noteAccessPointKey(_ key: String, rawValue: Value, encoding: String?) throws(FormatError) {
        let text: String? = if case .text(let t) = rawValue { t } else { nil }
        switch key {
        case "ap.ssid": apSSID = text
        case "ap.passwd": apPassword = text
        default: if text != "0" { apAuthMode = text }
        }
        guard let ssid = apSSID, !ssid.isEmpty, let password = apPassword, !password.isEmpty,
              let mode = apAuthMode, !mode.isEmpty else { return }
        warnings.append(FormatWarning("ap.ssid, ap.passwd and ap.authmode add the hidden entry ap.pmk_info, as esp-idf-nvs-partition-gen does",
                                      at: SourceLocation(field: "key")))
        let key = NVSWiFiEntries.pmkInfoKey
        try addBlob(key: Array(key.utf8), name: key, data: NVSWiFiEntries.pmkInfo(ssid: ssid, password: password))
    }
}

/// A namespace index and a key of at most 15 bytes in two words, so duplicate checks hash 16 bytes at once.
struct PackedKey: Hashable, Sendable {
    var low: UInt64 = 0, high: UInt64 = 0

    init(namespace: UInt8, key: [UInt8]) {
        low = UInt64(namespace)
        for (i, b) in key.prefix(15).enumerated() {
            let bit = UInt64(((i + 1) % 8) * 8)
            if i + 1 < 8 { low |= UInt64(b) << bit } else { high |= UInt64(b) << bit }
        }
    }
}
