/// NVS inputs behind `FormatDecoder`: the generator CSV (`nvs-csv`), images with and without a key (`nvs-image`,
/// `nvs-image-key`), key files (`nvs-keys`) and mfg_gen's config and values CSVs (`nvs-mfg-config`, `nvs-mfg-values`).

/// An NVS image and the generator's warnings.
public struct GeneratedNVS: Sendable {
    public var image: [UInt8]
    public var warnings: [FormatWarning]
}

/// The generator CSV, generated into an image of `size` bytes (`file` rows are refused: a decoder reads no files).
public struct NVSCSVFormat: FormatDecoder {
    public var size: Int
    public var version: NVSFormat.Version

    public init(size: Int = 0x6000, version: NVSFormat.Version = .v2) {
        self.size = size
        self.version = version
    }

    public var formatName: String { "nvs-csv" }
    public var maxInputSize: Int { InputLimits.text }

    public func decode(_ bytes: [UInt8]) throws(FormatError) -> GeneratedNVS {
        let result = try NVSGenerator.generate(csv: bytes, size: size, version: version) { path throws(FormatError) in
            throw FormatError("nvs.file", "no files are read here (\(path))")
        }
        return GeneratedNVS(image: result.image, warnings: result.warnings)
    }

    /// What `inspect --csv` promises: a generated image reads without a problem, and, unless the generator warned
    /// about a quirk of its input (rows before any namespace, a hex SSID …), its export generates the same image.
    public func checkProperties(_ bytes: [UInt8]) -> String? {
        guard let generated = try? decodeChecked(bytes) else { return nil }
        let image: NVSImage
        do throws(FormatError) { image = try NVSImage(generated.image) } catch { return "\(formatName): a generated image does not read: \(error)" }
        if let problem = image.problems.first { return "\(formatName): a generated image reads with a problem: \(problem)" }
        let export = image.csv()
        guard export.regenerates || !generated.warnings.isEmpty else {
            return "\(formatName): the export of a generated image does not regenerate it: \(export.notReproduced.prefix(3).joined(separator: "; "))"
        }
        return nil
    }
}

/// An NVS partition image, read as `nvs inspect` reads it (decrypted first when `keys` are given).
public struct NVSImageFormat: FormatDecoder {
    public var keys: NVSKeys?

    public init(keys: NVSKeys? = nil) { self.keys = keys }

    public var formatName: String { keys == nil ? "nvs-image" : "nvs-image-key" }

    public func decode(_ bytes: [UInt8]) throws(FormatError) -> NVSImage { try NVSImage(bytes, keys: keys) }

    /// Reading ends with every problem named; the CSV export of any image is generated and compared without a
    /// crash (`csv()` itself regenerates the export and compares it with the image to decide `regenerates`, so that
    /// claim needs no second generation here); with a key, encrypting the decrypted image gives the input back.
    public func checkProperties(_ bytes: [UInt8]) -> String? {
        guard let image = try? decodeChecked(bytes) else { return nil }
        _ = image.problems
        _ = image.namespaces
        let export = image.csv()
        if export.regenerates != export.notReproduced.isEmpty {
            return "\(formatName): the export says it \(export.regenerates ? "regenerates" : "does not regenerate") the image, with \(export.notReproduced.count) difference(s) listed"
        }
        if let keys, let entry = Self.entryNotReEncrypted(bytes, plain: image.plaintext, keys: keys) {
            return "\(formatName): encrypt(decrypt(x)) differs from x at byte 0x\(String(entry, radix: 16))"
        }
        return nil
    }

    /// The first entry that encryption should give back as it was read but does not. Encryption covers the entries
    /// a page's bitmap marks as used (in pages with a header); decryption every slot that is not all FF. So the
    /// round trip holds exactly for used, non-blank slots.
    static func entryNotReEncrypted(_ bytes: [UInt8], plain: [UInt8], keys: NVSKeys) -> Int? {
        let again = NVSEncryption.encrypt(plain, keys: keys)
        var page = 0
        while page + NVSFormat.pageSize <= bytes.count {
            defer { page += NVSFormat.pageSize }
            guard !NVSFormat.isErased(plain[page..<(page + 32)]) else { continue }
            for i in 0..<NVSFormat.entriesPerPage where NVSEncryption.entryState(plain, page: page, entry: i) != .empty {
                let at = page + NVSFormat.firstEntryOffset + i * NVSFormat.entrySize
                let slot = at..<(at + NVSFormat.entrySize)
                if !NVSFormat.isErased(bytes[slot]), again[slot] != bytes[slot] { return at }
            }
        }
        return nil
    }
}

/// An NVS key file (eky | tky | CRC | FF…), written back as the 4096-byte file `nvs generate-key` writes.
public struct NVSKeysFormat: FormatEncoder {
    public init() {}
    public var formatName: String { "nvs-keys" }
    public func decode(_ bytes: [UInt8]) throws(FormatError) -> NVSKeys { try NVSKeys(keyFile: bytes) }
    public func encode(_ keys: NVSKeys) throws(FormatError) -> [UInt8] { keys.keyFile }
}

/// mfg_gen's config CSV (`nvs batch --conf`).
public struct NVSMassConfigFormat: FormatDecoder {
    public init() {}
    public var formatName: String { "nvs-mfg-config" }
    public var maxInputSize: Int { InputLimits.text }
    public func decode(_ bytes: [UInt8]) throws(FormatError) -> [MassManufacturing.ConfigItem] { try MassManufacturing.config(bytes) }
}

/// mfg_gen's values CSV (`nvs batch --values`) planned against `config`, each device's rows generated.
public struct NVSMassValuesFormat: FormatDecoder {
    public var config: [UInt8]
    public var size: Int

    /// The default config has a namespace, string, integer, REPEAT and hex2bin rows.
    public init(config: [UInt8] = Array("app,namespace,\nserial_no,data,string\ndevice_no,data,u32\nbatch,data,string,REPEAT\nmac,data,hex2bin\n".utf8),
                size: Int = 0x3000) {
        self.config = config
        self.size = size
    }

    public var formatName: String { "nvs-mfg-values" }
    public var maxInputSize: Int { InputLimits.text }

    public func decode(_ bytes: [UInt8]) throws(FormatError) -> [MassManufacturing.Device] {
        try MassManufacturing.plan(config: config, values: bytes, options: MassManufacturing.Options(prefix: "dev"))
    }

    /// Every planned device's rows generate an image or fail with an error (never a crash).
    public func checkProperties(_ bytes: [UInt8]) -> String? {
        guard let devices = try? decodeChecked(bytes) else { return nil }
        for device in devices.prefix(16) {
            var generator = try? NVSGenerator(size: size)
            try? generator?.add(rows: device.generatorRows) { path throws(FormatError) in throw FormatError("nvs.file", path) }
            _ = generator?.image()
        }
        return nil
    }
}
