import Foundation
import ImageFormats
import Testing

/// The NVS generator against the esp-idf-nvs-partition-gen 0.3.0 vectors in Fixtures/nvs.
@Suite struct NVSGeneratorTests {
    /// Generates `csv` (a fixture path) with `file` rows resolved in the CSV's folder, as 0.3.0 run there does.
    static func generate(_ csv: String, size: Int, version: NVSFormat.Version = .v2) throws(FormatError) -> (image: [UInt8], warnings: [FormatWarning]) {
        let folder = Fixtures.root.appendingPathComponent(csv).deletingLastPathComponent()
        let bytes: [UInt8]
        do { bytes = try Fixtures.bytes(csv) } catch { throw FormatError("test.io", "\(error)") }
        return try NVSGenerator.generate(csv: bytes, size: size, version: version) { path throws(FormatError) in
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(path).path) else {
                throw FormatError("nvs.file", "cannot read file \(path)")
            }
            return Array(data)
        }
    }

    struct Vector: CustomTestStringConvertible, Sendable {
        var csv: String, expected: String, size: Int, version: NVSFormat.Version = .v2
        var testDescription: String { expected }
    }

    static let vectors: [Vector] = [
        Vector(csv: "nvs/nvs_all_types.csv", expected: "nvs/nvs_all_types.bin", size: 0x6000),
        Vector(csv: "nvs/nvs_v1.csv", expected: "nvs/nvs_v1.bin", size: 0x3000, version: .v1),
        Vector(csv: "nvs/nvs_ns_reuse.csv", expected: "nvs/nvs_ns_reuse.bin", size: 0x3000),
        Vector(csv: "nvs/nvs_minimal.csv", expected: "nvs/nvs_minimal_0x3000.bin", size: 0x3000),
        Vector(csv: "nvs/nvs_minimal.csv", expected: "nvs/nvs_minimal_ro_0x1000.bin", size: 0x1000),
        Vector(csv: "nvs/nvs_minimal.csv", expected: "nvs/nvs_minimal_ro_0x2000.bin", size: 0x2000),
        Vector(csv: "nvs/boundary/s01_string_3967.csv", expected: "nvs/boundary/s01_string_3967.bin", size: 0x3000),
        Vector(csv: "nvs/boundary/s03_string_exact_fill.csv", expected: "nvs/boundary/s03_string_exact_fill.bin", size: 0x3000),
        Vector(csv: "nvs/boundary/s04_blob_at_last_entry.csv", expected: "nvs/boundary/s04_blob_at_last_entry.bin", size: 0x3000),
        Vector(csv: "nvs/boundary/s05_primitive_last_entry.csv", expected: "nvs/boundary/s05_primitive_last_entry.bin", size: 0x3000),
        Vector(csv: "nvs/errors/n11_unknown_type_treated_as_data.csv", expected: "nvs/errors/n11_unknown_type_treated_as_data.bin", size: 0x3000),
        Vector(csv: "nvs/errors/n13_data_before_namespace.csv", expected: "nvs/errors/n13_data_before_namespace.bin", size: 0x3000),
        Vector(csv: "nvs/errors/n16_duplicate_keys.csv", expected: "nvs/errors/n16_duplicate_keys.bin", size: 0x3000),
        Vector(csv: "nvs/errors/n17_wifi_magic_keys.csv", expected: "nvs/errors/n17_wifi_magic_keys.bin", size: 0x3000),
        Vector(csv: "esp-at-mfg_nvs/mfg_nvs.csv", expected: "esp-at-mfg_nvs/mfg_nvs_pip0.3.0-gen_24K.bin", size: 0x6000),
    ]

    @Test(arguments: vectors)
    func generatesTheSameBytesAsTheReferenceGenerator(_ v: Vector) throws {
        let result = try Self.generate(v.csv, size: v.size, version: v.version)
        let same = result.image == (try Fixtures.bytes(v.expected))
        #expect(same)
    }

    struct ErrorCase: CustomTestStringConvertible, Sendable {
        var csv: String, code: String, line: Int?, size = 0x3000, version: NVSFormat.Version = .v2
        var testDescription: String { csv }
    }

    /// Every failing case of errors/results.txt (and s02) is a located error; none of them yields an image.
    static let errors: [ErrorCase] = [
        ErrorCase(csv: "n01_u8_out_of_range", code: "nvs.out_of_range", line: 3),
        ErrorCase(csv: "n02_i8_out_of_range", code: "nvs.out_of_range", line: 3),
        ErrorCase(csv: "n03_key_too_long", code: "nvs.key_too_long", line: 3),
        ErrorCase(csv: "n04_hex_prefix_int", code: "nvs.bad_value", line: 3),
        ErrorCase(csv: "n05_empty_int", code: "nvs.bad_value", line: 3),
        ErrorCase(csv: "n06_hex2bin_odd", code: "nvs.bad_value", line: 3),
        ErrorCase(csv: "n07_hex2bin_badchar", code: "nvs.bad_value", line: 3),
        ErrorCase(csv: "n08_bad_base64", code: "nvs.bad_value", line: 3),
        ErrorCase(csv: "n09_unsupported_encoding", code: "nvs.bad_encoding", line: 3),
        ErrorCase(csv: "n10_spaces_after_comma", code: "nvs.bad_encoding", line: 3),
        ErrorCase(csv: "n12_file_missing", code: "nvs.file", line: 3),
        ErrorCase(csv: "n14_no_header", code: "nvs.header", line: 1),
        ErrorCase(csv: "n15_ns_name_too_long", code: "nvs.key_too_long", line: 2),
        ErrorCase(csv: "n18_string_4000", code: "nvs.too_large", line: 3),
        ErrorCase(csv: "n19_string_4001", code: "nvs.too_large", line: 3),
        ErrorCase(csv: "n20_too_big_for_size", code: "nvs.partition_full", line: 254),
        ErrorCase(csv: "n21_v1_blob_1985", code: "nvs.too_large", line: 3, version: .v1),
        ErrorCase(csv: "n22_255_namespaces", code: "nvs.too_many_namespaces", line: 510, size: 0x10000),
    ]

    @Test(arguments: errors)
    func refusesWithALocatedError(_ c: ErrorCase) {
        do {
            _ = try Self.generate("nvs/errors/\(c.csv).csv", size: c.size, version: c.version)
            Issue.record("expected \(c.code)")
        } catch {
            #expect(error.code.rawValue == c.code)
            #expect(error.location.line == c.line, "\(error)")
        }
    }

    /// Found by the nvs-csv fuzz target: a string with a NUL was written without a word, and its export could not
    /// give it back. It is still written (as 0.3.0 does), now with a warning naming the row.
    @Test func stringsWithNULAreWrittenWithAWarning() throws {
        for (value, says) in [("\"a\u{0}b\"", "NUL"), ("a\u{0}", "NUL")] {
            let csv = "key,type,encoding,value\nns,namespace,,\ns,data,string,\(value)\n"
            let result = try NVSGenerator.generate(csv: Array(csv.utf8), size: 0x3000) { path throws(FormatError) in throw FormatError("nvs.file", path) }
            #expect(result.warnings.contains { $0.message.contains(says) && $0.location.line == 3 }, "\(result.warnings.map(\.message))")
        }
    }

    @Test func stringThatWouldNeedAWholePageIsRefused() {
        #expect(throws: FormatError("nvs.too_large", "")) {
            try Self.generate("nvs/boundary/s02_string_3968.csv", size: 0x3000)
        }
    }

    @Test func quirksThatShapeValidOutputAreWarnedAbout() throws {
        let reuse = try Self.generate("nvs/nvs_ns_reuse.csv", size: 0x3000)
        #expect(reuse.warnings.contains { $0.message.contains("declared again") && $0.location.line != nil })
        let wifi = try Self.generate("nvs/errors/n17_wifi_magic_keys.csv", size: 0x3000)
        #expect(wifi.warnings.contains { $0.message.contains("sta.apinfo") })
        let ro = try Self.generate("nvs/nvs_minimal.csv", size: 0x2000)
        #expect(ro.warnings.contains { $0.message.contains("read-only") })
    }

    @Test func badSizesAreRefused() {
        #expect(throws: FormatError("nvs.size", "")) { try NVSImageBuilder(size: 0x3001) }
        #expect(throws: FormatError("nvs.size", "")) { try NVSImageBuilder(size: 0) }
    }

    @Test func checksumIsZlibCRC32SeededWithAllOnes() {
        #expect(NVSChecksum.checksum(Array("123456789".utf8)) == 0xD202_D277)
        #expect(NVSChecksum.checksum([UInt8](repeating: 0, count: 24)) == 0xFFFF_FFFF)
        #expect(NVSChecksum.checksum(Array("hi\0".utf8)) == 0x0D04_B589)
        let header: [UInt8] = [0, 0, 0, 0, 0xFE] + [UInt8](repeating: 0xFF, count: 19)
        #expect(NVSChecksum.checksum(header) == 0xB9BA_2D84)
        #expect(NVSChecksum.checksum(Array("456789".utf8), seed: NVSChecksum.checksum(Array("123".utf8))) == 0xD202_D277)
    }

    @Test func csvQuotingAndCommentsFollowPythonsCSVModule() throws {
        let csv = "# leading comment\nkey,type,encoding,value\nns,namespace,,\n\"a\",data,string,\"x,\"\"y\"\"\nz\"\n#skipped,data,u8,1\nb,data,u8,2\n"
        let rows = try NVSCSV.rows(Array(csv.utf8))
        #expect(rows.count == 3)
        if case .text(let v) = rows[1].value { #expect(v == "x,\"y\"\nz") } else { Issue.record("no value") }
        #expect(rows[1].line == 4)
        #expect(rows[2].key == "b" && rows[2].line == 7)
    }

    @Test func integersFollowPythonInt() throws {
        func image(_ encoding: String, _ value: String) throws(FormatError) -> [UInt8] {
            try NVSGenerator.generate(csv: Array("key,type,encoding,value\nn,namespace,,\nk,data,\(encoding),\"\(value)\"\n".utf8), size: 0x3000) { _ throws(FormatError) in [] }.image
        }
        let entry = 64 + 32
        #expect(Array(try image("u16", " 0_1_0 ")[(entry + 24)..<(entry + 32)]) == [10, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(Array(try image("i64", "-9223372036854775808")[(entry + 24)..<(entry + 32)]) == [0, 0, 0, 0, 0, 0, 0, 0x80])
        #expect(throws: FormatError("nvs.out_of_range", "")) { try image("u64", "18446744073709551616") }
        #expect(throws: FormatError("nvs.out_of_range", "")) { try image("u32", "-1") }
        #expect(throws: FormatError("nvs.bad_value", "")) { try image("u8", "1__0") }
    }
}
