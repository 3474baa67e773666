import Foundation
import Testing

/// The `partition-table` command against the gen_esp32part.py vectors, run as a user would run it.
@Suite struct PartitionTableCLITests {
    struct Case: CustomTestStringConvertible, Sendable {
        var csv: String
        var expected: String
        var arguments: [String] = []
        var testDescription: String { "\(csv) \(arguments.joined(separator: " "))" }
    }

    static let csvToBinary: [Case] = [
        Case(csv: "partition/vectors/pt_two_ota.csv", expected: "partition/vectors/pt_two_ota.bin"),
        Case(csv: "partition/vectors/pt_two_ota.csv", expected: "partition/vectors/pt_two_ota_nomd5.bin", arguments: ["--disable-md5sum"]),
        Case(csv: "partition/vectors/pt_auto.csv", expected: "partition/vectors/pt_auto.bin"),
        Case(csv: "partition/vectors/pt_auto.csv", expected: "partition/vectors/pt_auto_offset_A000.bin", arguments: ["--offset", "0xA000"]),
        Case(csv: "partition/vectors/pt_extra_subtypes.csv", expected: "partition/vectors/pt_extra_subtypes.bin",
             arguments: ["--extra-partition-subtypes", "data, my_sub, 0x99", "app, my_app, 0x21"]),
        Case(csv: "partition/errors/e24_negative_size_end.csv", expected: "partition/errors/e24_negative_size_end.bin"),
        Case(csv: "partition/errors/e25_app_named_data.csv", expected: "partition/errors/e25_app_named_data.bin"),
        Case(csv: "partition/errors/e26_name_is_subtype.csv", expected: "partition/errors/e26_name_is_subtype.bin"),
        Case(csv: "partition/errors/e30_94_entries.csv", expected: "partition/errors/e30_94_entries.bin"),
        Case(csv: "partition/errors/e31_bootloader_na.csv", expected: "partition/errors/e31_bootloader_na.bin",
             arguments: ["--primary-bootloader-offset", "0x1000"]),
        Case(csv: "partition/errors/e32_extra_columns.csv", expected: "partition/errors/e32_extra_columns.bin"),
        Case(csv: "partition/errors/e33_subtype_numeric_for_data.csv", expected: "partition/errors/e33_subtype_numeric_for_data.bin"),
        // esp-at tables: at_customize.bin of several releases and the main table.
        Case(csv: "partition/at_customize/in/at_customize_v2.4_esp32.csv", expected: "partition/at_customize/at_customize_v2.4_esp32.bin"),
        Case(csv: "partition/at_customize/in/at_customize_master_esp32.csv", expected: "partition/at_customize/at_customize_master_esp32.bin"),
        Case(csv: "partition/at_customize/in/at_customize_v3.0_esp32c2-2mb.csv", expected: "partition/at_customize/at_customize_v3.0_esp32c2-2mb.bin"),
        Case(csv: "partition/at_customize/in/at_customize_v1.1.3.csv", expected: "partition/at_customize/at_customize_v1.1.3_idf3.2.bin"),
        Case(csv: "partition/at_customize/in/at_customize_v1.1.3.csv", expected: "partition/at_customize/at_customize_v1.1.3_idf3.0.bin", arguments: ["--disable-md5sum"]),
        Case(csv: "partition/at_customize/in/partitions_at_master_esp32.csv", expected: "partition/at_customize/partitions_at_master_esp32_nomd5.bin",
             arguments: ["--disable-md5sum", "--flash-size", "4MB"]),
        Case(csv: "partition/at_customize/in/partitions_at_v1.csv", expected: "partition/at_customize/partitions_at_v1_idf3.0.bin", arguments: ["--disable-md5sum"]),
    ]

    @Test(arguments: csvToBinary)
    func csvToBinaryMatchesGenEsp32part(_ c: Case) throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir + "/out.bin"
        let result = try CLI.run(["partition-table", CLI.fixture(c.csv), "-o", out] + c.arguments)
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(try CLI.read(out) == CLI.read(CLI.fixture(c.expected)))
    }

    /// bin → CSV → bin gives the same bytes. Reading takes the same options except the MD5 and flash-size ones.
    @Test(arguments: csvToBinary)
    func binaryRoundTrip(_ c: Case) throws {
        let dir = try CLI.temporaryDirectory()
        var readArguments: [String] = []
        var i = 0
        while i < c.arguments.count {
            switch c.arguments[i] {
            case "--disable-md5sum": i += 1
            case "--flash-size": i += 2
            default: readArguments.append(c.arguments[i]); i += 1
            }
        }
        let toCSV = try CLI.run(["partition-table", CLI.fixture(c.expected), "-o", dir + "/back.csv"] + readArguments)
        #expect(toCSV.exitCode == 0, "\(toCSV.stderr)")
        let back = try CLI.run(["partition-table", dir + "/back.csv", "-o", dir + "/back.bin"] + c.arguments)
        #expect(back.exitCode == 0, "\(back.stderr)")
        #expect(try CLI.read(dir + "/back.bin") == CLI.read(CLI.fixture(c.expected)))
    }

    @Test(arguments: [
        ("partition/vectors/pt_two_ota.bin", "partition/vectors/pt_two_ota_roundtrip.csv", [String]()),
        ("partition/vectors/pt_auto.bin", "partition/vectors/pt_auto_roundtrip.csv", []),
        ("partition/vectors/pt_auto_offset_A000.bin", "partition/vectors/pt_auto_offset_A000_roundtrip.csv", ["--offset", "0xA000"]),
    ])
    func binaryToCSVMatchesText(_ bin: String, _ csv: String, _ args: [String]) throws {
        let result = try CLI.run(["partition-table", CLI.fixture(bin)] + args)
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdoutText == String(decoding: try CLI.read(CLI.fixture(csv)), as: UTF8.self))
    }

    struct ErrorCase: CustomTestStringConvertible, Sendable {
        var file: String
        var line: Int?
        var field: String?
        var message: String
        var arguments: [String] = []
        var testDescription: String { file }
    }

    /// Every failing case of vectors/idf/partition/errors (plus e20, which gen_esp32part silently truncates, and
    /// e21, on which it crashes): exit 2, the line and field named, no output file.
    static let errorCases: [ErrorCase] = [
        ErrorCase(file: "e01_overlap_prev.csv", line: 2, field: "Offset", message: "Partitions overlap. Partition sets offset 0xe000. Previous partition ends 0xf000"),
        ErrorCase(file: "e02_first_below_table.csv", line: 1, field: "Offset", message: "But partition table occupies the whole sector 0x8000"),
        ErrorCase(file: "e03_app_offset_misaligned.csv", line: 2, field: "Offset", message: "Offset 0x18000 is not aligned to 0x10000"),
        ErrorCase(file: "e04_app_size_misaligned.csv", line: 1, field: "Size", message: "Size 0x100100 is not aligned to 0x1000"),
        ErrorCase(file: "e05_data_offset_misaligned.csv", line: 1, field: "Offset", message: "Offset 0x9800 is not aligned to 0x1000"),
        ErrorCase(file: "e06_unknown_flag.csv", line: 1, field: "Flags", message: "unknown flag 'secret'"),
        ErrorCase(file: "e07_flag_with_spaces.csv", line: 1, field: "Flags", message: "unknown flag 'encrypted '"),
        ErrorCase(file: "e08_unknown_type_kw.csv", line: 1, field: "Type", message: "Value 'dta' is not valid. Known keywords: bootloader, partition_table, app, data"),
        ErrorCase(file: "e09_unknown_subtype_kw.csv", line: 1, field: "SubType", message: "Value 'nvss' is not valid"),
        ErrorCase(file: "e10_dup_names.csv", line: 2, field: "Name", message: "Partition names must be unique"),
        ErrorCase(file: "e11_two_otadata.csv", line: 2, field: "SubType", message: "Found multiple otadata partitions"),
        ErrorCase(file: "e12_otadata_size.csv", line: 1, field: "Size", message: "otadata partition must have size = 0x2000"),
        ErrorCase(file: "e13_small_nvs_rw.csv", line: 1, field: "Size", message: "must be flagged as 'readonly'"),
        ErrorCase(file: "e14_readonly_ota.csv", line: 1, field: "Flags", message: "is always read-write and cannot be read-only"),
        ErrorCase(file: "e15_empty_size.csv", line: 1, field: "Size", message: "Size field can't be empty"),
        ErrorCase(file: "e16_empty_type.csv", line: 1, field: "Type", message: "Field 'type' can't be left empty."),
        ErrorCase(file: "e17_empty_app_subtype.csv", line: 1, field: "SubType", message: "App partition cannot have an empty subtype"),
        ErrorCase(file: "e18_unknown_var.csv", line: 1, field: nil, message: "unknown variable 'FOO'"),
        ErrorCase(file: "e19_leading_zero_decimal.csv", line: 1, field: "Size", message: "Invalid field value 010"),
        ErrorCase(file: "e20_name_too_long.csv", line: 1, field: "Name", message: "at most 16"),
        ErrorCase(file: "e21_type_out_of_range.csv", line: 1, field: "Type", message: "outside 0..255"),
        ErrorCase(file: "e22_custom_subtype_name.csv", line: 1, field: "SubType", message: "Invalid field value foo"),
        ErrorCase(file: "e23_overlap_sorted.csv", line: 3, field: "Offset", message: "Partitions overlap. Partition sets offset 0x1f000. Previous partition ends 0x21000"),
        ErrorCase(file: "e27_secure_v1_size.csv", line: 1, field: "Size", message: "Size 0x101000 is not aligned to 0x10000", arguments: ["--secure", "v1"]),
        ErrorCase(file: "e28_flash_size.csv", line: 1, field: "Size", message: "occupies 3.1MB of flash (3211264 bytes) which does not fit in configured flash size 2MB", arguments: ["--flash-size", "2MB"]),
        ErrorCase(file: "e29_95_entries.csv", line: 95, field: nil, message: "Binary partition table length (3072) longer than max"),
        ErrorCase(file: "e34_out_of_order_no_overlap.csv", line: 3, field: "Offset", message: "Partitions overlap. Partition sets offset 0x10000. Previous partition ends 0x21000"),
    ]

    @Test(arguments: errorCases)
    func badCSVIsRefusedWithLocationAndNoOutput(_ c: ErrorCase) throws {
        let dir = try CLI.temporaryDirectory()
        let input = CLI.fixture("partition/errors/" + c.file)
        // No output is created...
        let fresh = dir + "/new.bin"
        let result = try CLI.run(["partition-table", input, "-o", fresh] + c.arguments)
        #expect(result.exitCode == 2)
        var prefix = "error: \(input)"
        if let line = c.line { prefix += ":\(line):" }
        #expect(result.stderr.hasPrefix(prefix), "stderr: \(result.stderr)")
        if let field = c.field { #expect(result.stderr.contains("field '\(field)'"), "stderr: \(result.stderr)") }
        #expect(result.stderr.contains(c.message), "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fresh))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "temporary files left behind")
        // ...and an existing one is left as it was.
        let existing = dir + "/existing.bin"
        let before = Data("keep me".utf8)
        try before.write(to: URL(fileURLWithPath: existing))
        let again = try CLI.run(["partition-table", input, "-o", existing] + c.arguments)
        #expect(again.exitCode == 2)
        #expect(try CLI.read(existing) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["existing.bin"])
    }

    @Test(arguments: [
        ("b01_md5_mismatch.bin", "MD5 checksums don't match"),
        ("b02_no_end_marker.bin", "missing an end-of-table marker"),
        ("b03_bad_magic.bin", "Invalid magic bytes"),
        ("b04_len_not_mult32.bin", "multiple of 32 bytes"),
    ])
    func badBinaryIsRefused(_ file: String, _ message: String) throws {
        let dir = try CLI.temporaryDirectory()
        let result = try CLI.run(["partition-table", CLI.fixture("partition/errors/" + file), "-o", dir + "/out.csv"])
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("at byte 0x"), "stderr: \(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func unknownFlagBitsWarnAndAreDropped() throws {
        let result = try CLI.run(["partition-table", CLI.fixture("partition/errors/b05_unknown_flag_bit.bin")])
        #expect(result.exitCode == 0)
        #expect(result.stderr.contains("warning:") && result.stderr.contains("unknown flag(s) 0x00000004"))
        #expect(result.stdoutText.contains("nvs,data,nvs,0x9000,16K,\n"))
    }

    @Test func jsonDescribesEntriesAndMD5() throws {
        let withMD5 = try CLI.run(["partition-table", CLI.fixture("partition/at_customize/at_customize_v2.4_esp32.bin"), "--json"])
        #expect(withMD5.exitCode == 0, "\(withMD5.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: withMD5.stdout) as? [String: Any])
        let md5 = try #require(doc["md5"] as? [String: Any])
        #expect(md5["present"] as? Bool == true)
        #expect(md5["valid"] as? Bool == true)
        let entries = try #require(doc["entries"] as? [[String: Any]])
        #expect(entries.count == 15)
        #expect(entries[0]["name"] as? String == "ble_data")
        #expect(entries[0]["type"] as? Int == 0x40)
        #expect(entries[0]["subtype"] as? Int == 1)
        #expect(entries[0]["offset"] as? Int == 0x21000)
        #expect(entries[0]["size"] as? Int == 0x3000)

        let noMD5 = try CLI.run(["partition-table", CLI.fixture("partition/at_customize/at_customize_v1.1.3_idf3.0.bin"), "--json"])
        #expect(noMD5.exitCode == 0, "\(noMD5.stderr)")
        let doc2 = try #require(try JSONSerialization.jsonObject(with: noMD5.stdout) as? [String: Any])
        #expect((doc2["md5"] as? [String: Any])?["present"] as? Bool == false)
    }

    @Test func usageAndIOErrorsHaveTheirExitCodes() throws {
        let missing = try CLI.run(["partition-table", "/nonexistent/table.csv", "-o", "/tmp/x.bin"])
        #expect(missing.exitCode == 74)
        #expect(missing.stderr.hasPrefix("error: cannot read /nonexistent/table.csv"))
        let noOutput = try CLI.run(["partition-table", CLI.fixture("partition/vectors/pt_two_ota.csv")])
        #expect(noOutput.exitCode == 64)
        let badOption = try CLI.run(["partition-table", CLI.fixture("partition/vectors/pt_two_ota.csv"), "--bogus"])
        #expect(badOption.exitCode == 64)
        let help = try CLI.run(["partition-table", "--help"])
        #expect(help.exitCode == 0)
        #expect(help.stdoutText.contains("Examples:"))
    }
}
