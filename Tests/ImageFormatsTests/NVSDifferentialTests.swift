import Foundation
import ImageFormats
import TestSupport
import Testing

/// Seeded random CSVs run through esp-idf-nvs-partition-gen 0.3.0 (from $ESPFLASH_VENV, one Python process for all
/// cases: Tools/nvs-differential-driver.py) and through NVSGenerator/NVSEncryption; the bytes must be identical,
/// plain and encrypted, and where one side refuses the other must too.
@Suite struct NVSDifferentialTests {
    static let caseCount = 320
    static let seed: UInt64 = 0x5EED_0003

    struct Case {
        var name: String
        var csv: String
        var files: [String: [UInt8]]
        var size: Int
        var version: NVSFormat.Version
        var encrypted: Bool
    }

    @Test func sameBytesAsEspIdfNvsPartitionGen() throws {
        guard let python = try ToolEnvironment.executable("python") else { return }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nvs-diff-" + UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var rng = SplitMix64(seed: Self.seed)
        let keys = NVSKeys(encryptionKey: (0..<32).map { _ in rng.byte() }, tweakKey: (0..<32).map { _ in rng.byte() })
        var cases: [Case] = []
        var manifest = ""
        for c in (0..<Self.caseCount).map({ Self.randomCase(index: $0, rng: &rng) }) + Self.fixedCases {
            let dir = root + "/" + c.name
            try FileManager.default.createDirectory(atPath: dir + "/files", withIntermediateDirectories: true)
            try Data(c.csv.utf8).write(to: URL(fileURLWithPath: dir + "/in.csv"))
            for (name, bytes) in c.files { try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name)) }
            if c.encrypted { try Data(keys.keyFile).write(to: URL(fileURLWithPath: dir + "/key.bin")) }
            manifest += [dir, "in.csv", "ref.bin", "0x" + String(c.size, radix: 16), String(c.version.number), c.encrypted ? "key.bin" : "-"]
                .joined(separator: "\t") + "\n"
            cases.append(c)
        }
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: root + "/manifest.tsv"))

        let driver = packageRoot.appendingPathComponent("Tools/nvs-differential-driver.py").path
        let ran = try runTool(python, [driver, root + "/manifest.tsv"])
        try #require(ran.status == 0, "the reference driver failed: \(ran.stderr)")

        var compared = 0, refusedByBoth = 0, encrypted = 0, filled = 0, wifi = 0
        var roundTrip = ""
        for c in cases {
            let dir = root + "/" + c.name
            let reference = FileManager.default.contents(atPath: dir + "/ref.bin").map(Array.init)
            let referenceError = FileManager.default.contents(atPath: dir + "/ref.bin.failed").map { String(decoding: $0, as: UTF8.self) }
            let ours: Result<[UInt8], FormatError> = Result { () throws(FormatError) -> [UInt8] in
                let image = try NVSGenerator.generate(csv: Array(c.csv.utf8), size: c.size, version: c.version) { path throws(FormatError) in
                    guard let data = FileManager.default.contents(atPath: dir + "/" + path) else { throw FormatError("nvs.file", path) }
                    return Array(data)
                }.image
                return c.encrypted ? NVSEncryption.encrypt(image, keys: keys) : image
            }
            switch (ours, reference) {
            case (.success(let mine), .some(let theirs)):
                let same = mine == theirs
                #expect(same, "\(c.name): bytes differ (size \(c.size), v\(c.version.number), encrypted \(c.encrypted))")
                compared += 1
                // The reference image's `nvs inspect --csv`, to be generated again by the reference tool below.
                let plain = c.encrypted ? NVSEncryption.decrypt(theirs, keys: keys) : theirs
                let export = try NVSImage(plain).csv()
                #expect(export.regenerates, "\(c.name): \(export.notReproduced)")
                try Data(export.text.utf8).write(to: URL(fileURLWithPath: dir + "/export.csv"))
                try Data(plain).write(to: URL(fileURLWithPath: dir + "/plain.bin"))
                roundTrip += [dir, "export.csv", "again.bin", "0x" + String(plain.count, radix: 16), String(export.formatVersion), "-"]
                    .joined(separator: "\t") + "\n"
                if c.csv.contains("_fill(") { filled += 1 }
                if c.csv.contains("ap.authmode") || c.csv.contains("sta.ssid") { wifi += 1 }
                if c.encrypted {
                    encrypted += 1
                    let roundTrip = NVSEncryption.decrypt(mine, keys: keys) == NVSEncryption.decrypt(theirs, keys: keys)
                    #expect(roundTrip)
                }
            case (.failure, nil):
                refusedByBoth += 1
            case (.failure(let e), .some):
                Issue.record("\(c.name): we refused (\(e)) but the reference generator succeeded")
            case (.success, nil):
                Issue.record("\(c.name): the reference generator failed but we succeeded: \(referenceError ?? "?")")
            }
        }
        // Round trip through the reference tool: its own image, exported as CSV, generated again by it.
        try Data(roundTrip.utf8).write(to: URL(fileURLWithPath: root + "/roundtrip.tsv"))
        let again = try runTool(python, [driver, root + "/roundtrip.tsv"])
        try #require(again.status == 0, "the reference driver failed: \(again.stderr)")
        var roundTrips = 0
        for line in roundTrip.split(separator: "\n") {
            let dir = String(line.split(separator: "\t")[0])
            let regenerated = FileManager.default.contents(atPath: dir + "/again.bin")
            let failure = FileManager.default.contents(atPath: dir + "/again.bin.failed").map { String(decoding: $0, as: UTF8.self) }
            #expect(regenerated != nil && regenerated == FileManager.default.contents(atPath: dir + "/plain.bin"),
                    "\(dir): the exported CSV does not regenerate the image with esp-idf-nvs-partition-gen \(failure ?? "")")
            roundTrips += 1
        }
        #expect(roundTrips == compared)
        #expect(compared >= 280, "only \(compared) cases were compared")
        #expect(encrypted >= 80)
        #expect(filled >= 60, "only \(filled) compared cases had blob_fill/blob_sz_fill rows")
        #expect(wifi >= 20, "only \(wifi) compared cases had Wi-Fi rows")
        #expect(refusedByBoth >= 1, "the generator should also produce some too-large cases")
    }

    /// Cases chance rarely builds: access-point text and a key that start with `"` or `#` and a combining mark (one
    /// Swift Character; the export once unquoted the first by Character and wrote the second as a comment line).
    static let fixedCases = [
        Case(name: "combining-marks", csv: "key,type,encoding,value\nwifi,namespace,,\n\"#\u{301}k\",data,u8,7\n"
             + "ap.ssid,data,blob_sz_fill(32;0x00),\"\"\"\u{301}net\"\n"
             + "ap.passwd,data,blob_fill(64;0x00),\"pass\"\"\u{301}word\"\nap.authmode,data,u8,3\n",
             files: [:], size: 0x6000, version: .v2, encrypted: false),
    ]

    // MARK: - Random cases

    static func randomCase(index: Int, rng: inout SplitMix64) -> Case {
        let version: NVSFormat.Version = rng.next(10) < 2 ? .v1 : .v2
        var lines = ["key,type,encoding,value"]
        var files: [String: [UInt8]] = [:]
        var entries = 0
        var namespaces: [String] = []
        let rowCount = 1 + rng.next(40)
        var keyNumber = 0
        func key() -> String {
            keyNumber += 1
            let stem = ["k", "val", "cfg", "blob_", "s"][rng.next(5)]
            return String((stem + String(keyNumber) + String(repeating: "x", count: rng.next(12))).prefix(15))
        }
        for _ in 0..<(1 + rng.next(3)) where namespaces.isEmpty {
            namespaces.append("ns\(index)")
        }
        lines.append("\(namespaces[0]),namespace,,")
        entries += 1
        for _ in 0..<rowCount {
            switch rng.next(100) {
            case 0..<8:
                // A new namespace, or (rarely) re-declaring an earlier one.
                if rng.next(4) == 0, let earlier = namespaces.randomElement(using: &rng) {
                    lines.append("\(earlier),namespace,,")
                } else {
                    let name = "n\(namespaces.count)_" + String(rng.next(1000))
                    namespaces.append(name)
                    lines.append("\(name),namespace,,")
                    entries += 1
                }
            case 8..<45:
                let types: [(String, String, String)] = [
                    ("u8", "0", "255"), ("i8", "-128", "127"), ("u16", "0", "65535"), ("i16", "-32768", "32767"),
                    ("u32", "0", "4294967295"), ("i32", "-2147483648", "2147483647"),
                    ("u64", "0", "18446744073709551615"), ("i64", "-9223372036854775808", "9223372036854775807"),
                ]
                let t = types[rng.next(types.count)]
                let value = [t.1, t.2, "0", "1", String(rng.next(100))][rng.next(5)]
                lines.append("\(key()),data,\(t.0),\(value)")
                entries += 1
            case 45..<65:
                let maxBytes = version == .v1 ? 1983 : 3967
                let length = rng.next(4) == 0 ? maxBytes - rng.next(40) : rng.next(300)
                let text = randomText(bytes: length, rng: &rng)
                lines.append("\(key()),data,string,\(PythonCSV.quoted(text))")
                entries += 2 + Array(text.utf8).count / 32
            case 65..<72:
                // blob_fill(N;0xHH) / blob_sz_fill(N;0xHH): the text padded to N bytes (ESP-IDF's Wi-Fi examples).
                let n = rng.next(4) == 0 ? rng.next(version == .v1 ? 1900 : 3000) : rng.next(70)
                let text = randomText(bytes: rng.next(25) == 0 ? n + 1 + rng.next(3) : rng.next(n + 1), rng: &rng)
                let fill = String(format2: rng.byte())
                let sized = rng.next(2) == 0
                let value = rng.next(10) == 0 ? "" : PythonCSV.quoted(text)
                lines.append("\(key()),data,\(sized ? "blob_sz_fill" : "blob_fill")(\(n);0x\(fill)),\(value)")
                entries += 3 + (n + 4) / 32 + n / 4000
            case 72..<74:
                // The Wi-Fi keys whose rows make the generator add hidden entries (sta.* once, ap.pmk_info each time).
                let wifi = ["sta.ssid,data,blob_sz_fill(32;0x00),", "sta.pswd,data,blob_fill(64;0x00),",
                            "ap.ssid,data,blob_sz_fill(32;0x00),", "ap.passwd,data,blob_fill(64;0x00),", "ap.authmode,data,u8,"]
                let row = wifi[rng.next(wifi.count)]
                let value = row.hasPrefix("ap.authmode") ? String(rng.next(4)) : randomText(bytes: 1 + rng.next(20), rng: &rng, asciiOnly: true)
                lines.append(row + (row.hasPrefix("ap.authmode") ? value : PythonCSV.quoted(value)))
                entries += 20
            case 74..<85:
                let maxBytes = version == .v1 ? 1984 : 9000
                let length = rng.next(5) == 0 ? rng.next(maxBytes + 1) : rng.next(200)
                let bytes = (0..<length).map { _ in rng.byte() }
                switch rng.next(3) {
                case 0: lines.append("\(key()),data,hex2bin,\(bytes.map { String(format2: $0) }.joined())")
                case 1: lines.append("\(key()),data,base64,\(base64(bytes))")
                default:
                    let ascii = randomText(bytes: length, rng: &rng, asciiOnly: true)
                    lines.append("\(key()),data,binary,\(PythonCSV.quoted(ascii))")
                }
                entries += 3 + length / 32 + length / 4000
            default:
                let name = "files/f\(files.count).dat"
                let length = rng.next(5) == 0 ? rng.next(version == .v1 ? 1984 : 12000) : rng.next(500)
                switch rng.next(4) {
                case 0:
                    files[name] = (0..<length).map { _ in rng.byte() }
                    lines.append("\(key()),file,binary,\(name)")
                case 1:
                    files[name] = Array((0..<min(length, 1000)).map { _ in String(format2: rng.byte()) }.joined().utf8)
                    lines.append("\(key()),file,hex2bin,\(name)")
                case 2:
                    files[name] = Array(base64((0..<min(length, 1400)).map { _ in rng.byte() }).utf8)
                    lines.append("\(key()),file,base64,\(name)")
                default:
                    files[name] = Array(randomText(bytes: min(length, version == .v1 ? 1983 : 3967), rng: &rng).utf8)
                    lines.append("\(key()),file,string,\(name)")
                }
                entries += 3 + length / 32 + length / 4000
            }
        }
        // Mostly enough room; sometimes too little (both tools must refuse), sometimes read-only sizes.
        let pages = entries / 100 + 2
        let size: Int
        switch rng.next(20) {
        case 0: size = max(1, pages - 2) * 4096
        case 1: size = 0x2000
        default: size = (pages + 1 + rng.next(3)) * 4096
        }
        return Case(name: "case\(index)", csv: lines.joined(separator: "\n") + "\n", files: files, size: max(size, 0x1000),
                    version: version, encrypted: rng.next(3) == 0)
    }

    /// Text of exactly `bytes` UTF-8 bytes: printable ASCII with commas, quotes and newlines, some multi-byte
    /// characters and combining marks (after a quote or a `#` they join it in one Swift Character, which the CSV
    /// writers must still see by code point); never `\r` and never `#` after a newline (the generator drops such
    /// lines as comments).
    static func randomText(bytes: Int, rng: inout SplitMix64, asciiOnly: Bool = false) -> String {
        var out = ""
        var count = 0
        while count < bytes {
            let r = rng.next(100)
            var s: String
            if !asciiOnly && r < 3 && bytes - count >= 3 { s = "漢" }
            else if !asciiOnly && r < 6 && bytes - count >= 2 { s = "é" }
            else if !asciiOnly && r < 8 && bytes - count >= 2 { s = "\u{301}" }
            else if r < 10 { s = "\n" }
            else if r < 14 { s = [",", "\"", " "][rng.next(3)] }
            else { s = String(UnicodeScalar(UInt8(0x21 + rng.next(94)))) }
            if s == "#" && out.hasSuffix("\n") { s = "a" }
            out += s
            count += s.utf8.count
        }
        return out
    }

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}
