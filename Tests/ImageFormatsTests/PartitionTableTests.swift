import ImageFormats
import Testing

@Suite struct PartitionTableTests {
    private func table(_ csv: String, _ configure: (inout PartitionTableOptions) -> Void = { _ in }) throws(FormatError) -> PartitionTable {
        var options = PartitionTableOptions()
        configure(&options)
        return try PartitionTable.load(Array(csv.utf8), options: options).table
    }

    @Test func automaticOffsetsFollowCSVOrderAndTypeAlignment() throws {
        let t = try PartitionTable.load(try Fixtures.bytes("partition/vectors/pt_auto.csv"), options: PartitionTableOptions()).table
        let placed = Dictionary(uniqueKeysWithValues: t.entries.map { ($0.name, $0.offset) })
        #expect(placed["nvs"] == 0x9000)
        #expect(placed["otadata"] == 0xF000)
        #expect(placed["phy_init"] == 0x11000)
        #expect(placed["factory"] == 0x20000)  // rounded up to 64 KB for app
        #expect(placed["ota_0"] == 0x120000)
        #expect(placed["nvs_key"] == 0x220000)
        #expect(placed["custom"] == 0x263000)
        #expect(t.entries.first { $0.name == "blank" }?.subtype == 0x06)
        #expect(t.entries.first { $0.name == "custom2" }?.flags == [.encrypted, .readonly])
    }

    @Test func negativeSizeIsAnEndAddress() throws {
        let t = try table("big, data, fat, 0x10000, -0x200000\n")
        #expect(t.entries[0].size == 0x1F0000)
    }

    @Test func sixteenByteNamesFillTheLabelWithoutTerminator() throws {
        let t = try table("abcdefghijklmnop, data, nvs, , 16K\n")
        let bytes = try t.encoded()
        #expect(Array(bytes[12..<28]) == Array("abcdefghijklmnop".utf8))
        #expect(try PartitionTable.decode(bytes).table.entries[0].name == "abcdefghijklmnop")
    }

    @Test func seventeenByteNamesAreRefused() {
        #expect(throws: FormatError("partition_table.name_too_long", "")) {
            try table("abcdefghijklmnopq, data, nvs, , 16K\n")
        }
    }

    @Test func entryRecordLayout() throws {
        // pt_two_ota.bin entry 0 as documented: nvs,data,nvs,0x9000,0x4000.
        let t = try table("nvs,data,nvs,0x9000,0x4000\n")
        let expected: [UInt8] = [0xAA, 0x50, 0x01, 0x02, 0x00, 0x90, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x6E, 0x76, 0x73]
            + Array(repeating: 0, count: 13) + [0, 0, 0, 0]
        #expect(t.entries[0].record == expected)
    }

    @Test func md5RecordCoversOnlyTheEntries() throws {
        let bytes = try Fixtures.bytes("partition/vectors/pt_two_ota.bin")
        let decoded = try PartitionTable.decode(bytes)
        #expect(decoded.md5 == .valid)
        #expect(try decoded.table.encoded() == bytes)
        #expect(try decoded.table.encoded(md5: false) == Fixtures.bytes("partition/vectors/pt_two_ota_nomd5.bin"))
        var tampered = bytes
        tampered[0x10] ^= 1
        #expect(throws: FormatError("partition_table.md5_mismatch", "")) { try PartitionTable.decode(tampered) }
        #expect(try PartitionTable.decode(tampered, checkMD5: false).md5 == .unchecked)
    }

    @Test func capacityIs94WithMD5And95Without() throws {
        func rows(_ n: Int) -> String { (0..<n).map { "p\($0), data, fat, , 4K\n" }.joined() }
        #expect(try table(rows(94)).encoded().count == 0xC00)
        #expect(throws: FormatError("partition_table.too_many_entries", "")) { try table(rows(95)).encoded() }
        #expect(try table(rows(95)).encoded(md5: false).count == 0xC00)
        #expect(throws: FormatError("partition_table.too_many_entries", "")) { try table(rows(96)).encoded(md5: false) }
    }

    @Test func variablesExpandAndUnknownOnesAreNamed() throws {
        let t = try table("${NAME}, data, nvs, $OFF, 16K\n") { $0.variables = ["NAME": "cfg", "OFF": "0x9000"] }
        #expect(t.entries[0].name == "cfg")
        #expect(t.entries[0].offset == 0x9000)
        do throws(FormatError) {
            _ = try table("# comment\n$MISSING, data, nvs, , 16K\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == "partition_table.unknown_variable")
            #expect(error.location.line == 2)
        }
    }

    @Test func keywordsAreCaseInsensitiveAndSuffixesMultiply() throws {
        let t = try table("a, DATA, NVS, 0x9000, 0x10k\nb, 0x40, 0x1, , 1M\n")
        #expect(t.entries[0].type == 1 && t.entries[0].subtype == 2 && t.entries[0].size == 16 * 1024)
        #expect(t.entries[1].type == 0x40 && t.entries[1].size == 0x100000)
    }

    /// Quotes and commas are code points, as in Python: a label starting with `"` and a combining mark (one Swift
    /// Character) is quoted when written and read back whole; a comma before a combining mark still splits a line.
    @Test func combiningMarksAfterQuotesAndCommasAreCodePoints() throws {
        let names = ["\"\u{36F}$Hve", "a,\u{301}b", "\u{36F}#x"]
        for (n, name) in names.enumerated() {
            // By code point: `replacing` on Strings misses the quote that a combining mark follows.
            let quoted = "\"" + String(String.UnicodeScalarView(name.unicodeScalars.flatMap { $0 == "\"" ? [$0, $0] : [$0] })) + "\""
            let csv = "x, data, nvs, 0x9000, 0x6000\n" + quoted + ", data, 0x99, , 4K\n"
            let read = try table(csv)
            #expect(read.entries.count == 2 && read.entries[1].name == name, "case \(n): \(read.entries.map(\.name))")
            let again = try table(try read.csv())
            #expect(again.entries.map(\.name) == read.entries.map(\.name), "case \(n)")
        }
        // Unquoted, `,` + U+0301 splits the line where Python splits it: the Type field is the accent.
        #expect(throws: FormatError.self) { try table("y,\u{301}data, nvs, 0x9000, 0x6000\n") }
    }

    /// Each k/m level is one step of gen_esp32part's recursion; 100,000 of them stay linear (they were quadratic).
    @Test func longSuffixRunsParseInLinearTime() throws {
        #expect(try table("a, data, nvs, 0x9000, 1Kk\n").entries[0].size == 1024 * 1024)
        // The Kelvin sign lowercases to k, in Python too.
        #expect(try table("a, data, nvs, 0x9000, 12\u{212A}\n").entries[0].size == 0x3000)
        let started = ContinuousClock.now
        let error = #expect(throws: FormatError.self) {
            _ = try table("a, data, nvs, 0x9000, 1" + String(repeating: "k", count: 100_000) + "\n")
        }
        #expect(error?.code == "partition_table.number_range")
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func binaryToCSVUsesKeywordsOrDecimal() throws {
        let t = try table("cust, 0x40, 0x7, , 0x1234\nfw, app, ota_3, , 64K, encrypted\n")
        #expect(try t.csv() == """
            # ESP-IDF Partition Table
            # Name, Type, SubType, Offset, Size, Flags
            cust,64,7,0x9000,0x1234,
            fw,app,ota_3,0x10000,64K,encrypted

            """)
    }

    @Test func extraSubtypesExtendKeywordsAndRefuseDuplicates() throws {
        var keywords = PartitionKeywords.standard
        try keywords.addExtraSubtype("data, my_sub, 0x99")
        #expect(keywords.subtypeName(0x99, type: 1) == "my_sub")
        #expect(throws: FormatError.self) { try keywords.addExtraSubtype("data, again, 0x02") }
        #expect(throws: FormatError.self) { try keywords.addExtraSubtype("custom, x, 0x02") }
    }

    @Test func noVerifySkipsChecksButNotFlashSize() throws {
        let misaligned = "factory, app, factory, 0x18000, 1M\n"
        #expect(throws: FormatError.self) { try table(misaligned) }
        #expect(try table(misaligned) { $0.verify = false }.entries.count == 1)
        #expect(throws: FormatError("partition_table.flash_size", "")) {
            try table(misaligned) { $0.verify = false; $0.flashSize = 1 << 20 }
        }
    }

    /// The digests are spelled as lower-case hex without separators (a module-wide `hex([UInt8])` from another
    /// format once took over this call and printed `0xA5 EA 12 …`).
    @Test func md5MismatchNamesBothDigestsInHex() throws {
        let bytes = try Fixtures.bytes("partition/errors/b01_md5_mismatch.bin")
        let error = try #require(throws: FormatError.self) { try PartitionTable.load(bytes, options: PartitionTableOptions()) }
        #expect(error.message.contains(/computed: 0x[0-9a-f]{32}, parsed: 0x[0-9a-f]{32}\)/))
    }
}
