import ArgumentParser
import ImageFormats

struct NVSInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the pages and entries of an NVS image, as text, JSON or a CSV that regenerates it.",
        discussion: """
            Reads any NVS image, also ones read back from a device: page states, erased and partially written \
            entries and CRC errors are shown per page and entry. --csv prints a CSV that 'nvs generate' turns back \
            into the same image (blobs as hex2bin values, Wi-Fi SSIDs and passwords as the blob_sz_fill/blob_fill \
            rows ESP-IDF's examples use; the first comment line names SIZE and --version). The entries the generator \
            derives by itself (sta.apinfo, sta.pmk, sta.apsw, ap.pmk_info) are left out. The CSV is generated again \
            and compared with the image: what would not come back (a derived entry a device changed, erased entries, \
            a device's page layout) is listed, with the reason, on stderr and in comment lines at the top. With \
            --key the entries are decrypted first.

            Examples:
              espflash-swift nvs inspect nvs.bin
              espflash-swift nvs inspect nvs_enc.bin --key nvs_keys.bin --json
              espflash-swift nvs inspect mfg_nvs.bin --csv > mfg_nvs.csv
              espflash-swift nvs inspect factory_WROOM-32.bin --partition mfg_nvs
              espflash-swift nvs inspect flash_dump.bin --offset 0x9000 --json
            """
    )

    @Argument(help: "NVS image (a whole number of 4096-byte pages), or a whole flash image with --offset/--partition.") var input: String
    @OptionGroup var region: RegionOptions
    @Option(help: "Key file of an encrypted image.") var key: String?
    @Flag(help: "Print one JSON document.") var json = false
    @Flag(help: "Print a generator CSV that regenerates the image.") var csv = false

    func validate() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
    }

    func run() throws {
        try reportingFailures {
            let keys = try key.map(NVSPaths.keys)
            let (image, input) = try InputFile.decode(input, region: region) { bytes throws(FormatError) in try NVSImage(bytes, keys: keys) }
            if csv {
                let export = image.csv()
                for w in export.warnings { Console.warning("\(input): \(w)") }
                var header = "# nvs generate THIS.csv OUT.bin \(image.size.pythonHex) --version \(export.formatVersion)\n"
                if !export.regenerates {
                    Console.warning("\(input): this CSV does not regenerate the image byte for byte; not reproduced:")
                    header += "# This CSV does not regenerate the image byte for byte. Not reproduced:\n"
                    for line in export.notReproduced {
                        Console.warning("\(input): \(line)")
                        header += "#   \(line.replacing("\n", with: " "))\n"
                    }
                }
                Console.out(header + export.text)
            } else if json {
                Console.out(Self.json(image))
            } else {
                Console.out(Self.text(image))
            }
        }
    }

    static func text(_ image: NVSImage) -> String {
        var out = ""
        let names = image.namespaces
        for page in image.pages {
            let offset = "0x" + String(page.offset, radix: 16)
            if page.isBlank {
                out += "page \(page.index) @\(offset): blank\n"
                continue
            }
            let version = page.version.map { "v\($0.number)" } ?? "0x" + String(page.versionRaw, radix: 16)
            out += "page \(page.index) @\(offset): \(page.stateName) seq \(page.sequence) format \(version) "
                + "header CRC \(page.headerCRCValid ? "ok" : "BAD"), \(page.items.reduce(0) { $0 + ($1.state == .written ? $1.span : 0) }) entries used\n"
            for p in page.problems { out += "  ! \(p)\n" }
            for item in page.items {
                let entry = String(item.entry).leftPadded(to: 3)
                let ns = item.namespace == 0 ? "ns 0" : "ns \(item.namespace)" + (names[item.namespace].map { " (\($0))" } ?? "")
                var line = "  e\(entry) \(item.state.name.padding(7)) \(ns) \(item.typeName) '\(item.key)'"
                line += " " + describe(item)
                if !item.crcValid { line += " [entry CRC BAD]" }
                out += line + "\n"
                for p in item.problems where p != "entry CRC mismatch" { out += "       ! \(p)\n" }
            }
        }
        let problems = image.problems
        out += problems.isEmpty ? "no problems found\n" : "\(problems.count) problem(s)\n"
        return out
    }

    static func describe(_ item: NVSImage.Item) -> String {
        if item.namespace == 0, item.type == .u8 { return "= namespace \(item.data[0])" }
        if let v = item.integerValue { return "= \(v)" }
        switch item.type {
        case .string:
            guard let p = item.payload else { return "span \(item.span)" }
            let text = String(decoding: p.last == 0 ? p.dropLast() : p[...], as: UTF8.self)
            let shown = text.count > 60 ? String(text.prefix(60)) + "…" : text
            return "span \(item.span) size \(item.sizeField) = \(JSONValue.quoted(shown))"
        case .blobData, .blobV1:
            return "chunk \(item.chunkIndex == 0xFF ? "any" : String(item.chunkIndex)) span \(item.span) size \(item.sizeField)"
                + (item.payload.map { " = " + hexPreview($0) } ?? "")
        case .blobIndex:
            return "size \(item.sizeField) chunks \(item.data[4]) start \(item.data[5])"
        default:
            return "span \(item.span) data " + hexPreview(item.data)
        }
    }

    static func hexPreview(_ bytes: [UInt8]) -> String {
        let shown = bytes.prefix(16).hexString
        return bytes.count > 16 ? shown + "…" : shown
    }

    static func json(_ image: NVSImage) -> JSONValue {
        let names = image.namespaces
        let pages = image.pages.map { page -> JSONValue in
            let items = page.items.map { item -> JSONValue in
                var members: [(String, JSONValue)] = [
                    ("entry", .int(item.entry)), ("address", .int(item.address)), ("state", .string(item.state.name)),
                    ("namespace", .int(Int(item.namespace))), ("namespace_name", .optional(names[item.namespace])),
                    ("type", .string(item.typeName)), ("type_code", .int(Int(item.typeRaw))), ("span", .int(item.span)),
                    ("chunk_index", item.chunkIndex == 0xFF ? .null : .int(Int(item.chunkIndex))),
                    ("key", .string(item.key)), ("crc_valid", .bool(item.crcValid)),
                ]
                if item.namespace == 0, item.type == .u8 { members.append(("namespace_index", .int(Int(item.data[0])))) }
                if let v = item.integerValue { members.append(("value", .string(v))) }
                if item.type == .string, let p = item.payload {
                    members.append(("value", .string(String(decoding: p.last == 0 ? p.dropLast() : p[...], as: UTF8.self))))
                }
                if item.type == .blobData || item.type == .blobV1, let p = item.payload { members.append(("hex", .string(p.hexString))) }
                if item.type == .blobIndex {
                    members.append(("size", .int(item.sizeField)))
                    members.append(("chunk_count", .int(Int(item.data[4]))))
                    members.append(("chunk_start", .int(Int(item.data[5]))))
                } else if item.type?.isVariableLength == true {
                    members.append(("size", .int(item.sizeField)))
                }
                if let ok = item.payloadCRCValid { members.append(("data_crc_valid", .bool(ok))) }
                members.append(("problems", .array(item.problems.map(JSONValue.string))))
                return .object(members)
            }
            return .object([
                ("index", .int(page.index)), ("offset", .int(page.offset)), ("blank", .bool(page.isBlank)),
                ("state", .string(page.isBlank ? "EMPTY" : page.stateName)), ("sequence", page.isBlank ? .null : .int(Int(page.sequence))),
                ("format_version", page.isBlank ? .null : page.version.map { .int($0.number) } ?? .null),
                ("header_crc_valid", .bool(page.headerCRCValid)),
                ("items", .array(items)), ("problems", .array(page.problems.map(JSONValue.string))),
            ])
        }
        return .object([
            ("size", .int(image.size)),
            ("namespaces", .array(names.sorted { $0.key < $1.key }.map { .object([("index", .int(Int($0.key))), ("name", .string($0.value))]) })),
            ("pages", .array(pages)),
            ("problems", .array(image.problems.map(JSONValue.string))),
        ])
    }
}

extension String {
    func leftPadded(to width: Int, with fill: Character = " ") -> String {
        count >= width ? self : String(repeating: fill, count: width - count) + self
    }

    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
