import ImageFormats
import Testing

/// Reading NVS images back: the inspector's model and the CSV it exports.
@Suite struct NVSImageTests {
    static let images: [(String, NVSFormat.Version)] = [
        ("nvs/nvs_all_types.bin", .v2), ("nvs/nvs_v1.bin", .v1), ("nvs/nvs_ns_reuse.bin", .v2), ("nvs/nvs_minimal_0x3000.bin", .v2),
        ("nvs/nvs_minimal_ro_0x1000.bin", .v2), ("nvs/boundary/s01_string_3967.bin", .v2), ("nvs/boundary/s03_string_exact_fill.bin", .v2),
        ("nvs/boundary/s04_blob_at_last_entry.bin", .v2), ("nvs/boundary/s05_primitive_last_entry.bin", .v2),
        ("nvs/errors/n16_duplicate_keys.bin", .v2), ("nvs/errors/n17_wifi_magic_keys.bin", .v2),
        ("esp-at-mfg_nvs/mfg_nvs_pip0.3.0-gen_24K.bin", .v2), ("mfg/out/bin/dev-1.bin", .v2),
    ]

    @Test(arguments: images.map(\.0))
    func exportedCSVRegeneratesTheSameImage(_ path: String) throws {
        let bytes = try Fixtures.bytes(path)
        let image = try NVSImage(bytes)
        #expect(image.problems.isEmpty, "\(image.problems)")
        let export = image.csv()
        #expect(export.warnings.isEmpty, "\(export.warnings)")
        let version: NVSFormat.Version = export.formatVersion == 1 ? .v1 : .v2
        let again = try NVSGenerator.generate(csv: Array(export.text.utf8), size: bytes.count, version: version) { _ throws(FormatError) in [] }
        let same = again.image == bytes
        #expect(same)
    }

    @Test func pagesAndItemsAreDecoded() throws {
        let image = try NVSImage(try Fixtures.bytes("nvs/nvs_all_types.bin"))
        #expect(image.pages.map(\.stateName).prefix(2) == ["FULL", "ACTIVE"])
        #expect(image.pages[2].isBlank && image.pages[5].isBlank)
        #expect(image.namespaces == [1: "storage", 2: "other_ns"])
        let big = image.pages[1].items.first { $0.type == .blobIndex }
        #expect(big?.key == "big_blob" && big?.sizeField == 5000 && big?.entry == 69)
        let i8 = image.pages[0].items.first { $0.key == "i8_min" }
        #expect(i8?.integerValue == "-128")
    }

    @Test func encryptedImagesAreReadWithTheKey() throws {
        let keys = try NVSKeys(keyFile: try Fixtures.bytes("nvs/nvs_keys_fixed.bin"))
        let image = try NVSImage(try Fixtures.bytes("nvs/nvs_all_types_enc.bin"), keys: keys)
        #expect(image.problems.isEmpty)
        #expect(image.namespaces[1] == "storage")
        let without = try NVSImage(try Fixtures.bytes("nvs/nvs_all_types_enc.bin"))
        #expect(!without.problems.isEmpty)
    }

    @Test func damageIsReportedPerEntryNotThrown() throws {
        var bytes = try Fixtures.bytes("nvs/nvs_all_types.bin")
        bytes[64 + 32 * 1 + 24] ^= 0x01            // u8_max value: entry CRC no longer matches
        bytes[64 + 32 * 10 + 0] ^= 0x01             // str_short data: data CRC no longer matches
        bytes[4096 + 4] = 7                         // page 1 sequence: header CRC no longer matches
        bytes[4096 * 2 + 64] = 0x00                 // a blank page with a stray byte
        let image = try NVSImage(bytes)
        let problems = image.problems
        #expect(problems.contains { $0.contains("entry 1 'u8_max': entry CRC mismatch") })
        #expect(problems.contains { $0.contains("'str_short': data CRC mismatch") })
        #expect(problems.contains { $0.hasPrefix("page 1: header CRC mismatch") })
        #expect(problems.contains { $0.hasPrefix("page 2:") })
        #expect(throws: FormatError("nvs.size", "")) { try NVSImage([UInt8](repeating: 0xFF, count: 100)) }
    }

    @Test func erasedEntriesAndDeviceStatesAreShown() throws {
        var bytes = try Fixtures.bytes("nvs/nvs_minimal_0x3000.bin")
        // Erase entry 1 in the bitmap (10 → 00), as the device does when a key is overwritten.
        bytes[32] &= ~UInt8(0b1000)
        let image = try NVSImage(bytes)
        #expect(image.pages[0].items.first { $0.entry == 1 }?.state == .erased)
        #expect(image.csv().warnings.contains { $0.contains("erased") })
    }
}

/// Images with Wi-Fi entries, where esp-idf-nvs-partition-gen adds entries of its own (Fixtures/nvs/wifi).
@Suite struct NVSWiFiRoundTripTests {
    @Test(arguments: ["nvs_station_data", "nvs_ap_data"])
    func espIdfWiFiExamplesRoundTrip(_ name: String) throws {
        let reference = try Fixtures.bytes("nvs/wifi/\(name).bin")
        // The generator builds the example CSV as 0.3.0 does (blob_fill/blob_sz_fill, hidden entries).
        let built = try NVSGenerator.generate(csv: try Fixtures.bytes("nvs/wifi/\(name).csv"), size: 0x6000) { _ throws(FormatError) in [] }
        #expect(built.image == reference)
        let export = try NVSImage(reference).csv()
        #expect(export.regenerates, "\(export.notReproduced)")
        #expect(export.notReproduced.isEmpty && export.warnings.isEmpty, "\(export.warnings)")
        let ssidKey = name.contains("station") ? "sta.ssid" : "ap.ssid"
        #expect(export.text.contains("\(ssidKey),data,blob_sz_fill(32;0x00),myssid\n"), "\(export.text)")
        #expect(export.text.contains(",data,blob_fill(64;0x00),mypassword\n"))
        for derived in ["sta.apinfo", "sta.pmk", "sta.apsw", "ap.pmk_info"] { #expect(!export.text.contains(derived)) }
        let again = try NVSGenerator.generate(csv: Array(export.text.utf8), size: reference.count) { _ throws(FormatError) in [] }
        #expect(again.image == reference)
    }

    /// A quote or `#` followed by a combining mark is one Swift Character: the export must still see the quote (the
    /// text the generator derives ap.pmk_info from) and quote the `#` (or the generator takes the line for a comment).
    @Test func combiningMarksAfterQuotesAndHashesAreCodePoints() throws {
        let csv = "key,type,encoding,value\nwifi,namespace,,\n\"#\u{301}k\",data,u8,7\n"
            + "ap.ssid,data,blob_sz_fill(32;0x00),\"\"\"\u{301}net\"\n"
            + "ap.passwd,data,blob_fill(64;0x00),\"pass\"\"\u{301}word\"\nap.authmode,data,u8,3\n"
        let built = try NVSGenerator.generate(csv: Array(csv.utf8), size: 0x6000) { _ throws(FormatError) in [] }
        let export = try NVSImage(built.image).csv()
        #expect(export.regenerates && export.notReproduced.isEmpty, "\(export.notReproduced)")
        #expect(export.text.contains("\n\"#\u{301}k\",data,u8,7\n"), "\(export.text)")
        let again = try NVSGenerator.generate(csv: Array(export.text.utf8), size: 0x6000) { _ throws(FormatError) in [] }
        #expect(again.image == built.image, "the exported CSV builds another image")
    }

    @Test func aPMKDerivedFromHexTextIsNamedAsNotReproduced() throws {
        let export = try NVSImage(try Fixtures.bytes("nvs/wifi/ap_hex_ssid.bin")).csv()
        #expect(!export.regenerates)
        #expect(export.notReproduced.count == 1)
        let line = export.notReproduced.first ?? ""
        #expect(line.contains("'ap.pmk_info'") && line.contains("PBKDF2"), "\(export.notReproduced)")
    }

    @Test func aStationPMKChangedByTheDeviceIsNamedAsNotReproduced() throws {
        var bytes = try Fixtures.bytes("nvs/wifi/nvs_station_data.bin")
        let image = try NVSImage(bytes)
        let chunk = try #require(image.pages.flatMap(\.items).first { $0.key == "sta.pmk" && $0.type == .blobData })
        // A device storing a real PMK: new data, new data CRC, new entry CRC.
        let payload = [UInt8](repeating: 0x5A, count: 32)
        bytes.replaceSubrange((chunk.address + 32)..<(chunk.address + 64), with: payload)
        let crc = NVSChecksum.checksum(payload[...])
        bytes.replaceSubrange((chunk.address + 28)..<(chunk.address + 32), with: withUnsafeBytes(of: crc.littleEndian, Array.init))
        let entryCRC = NVSChecksum.entry(bytes[chunk.address..<(chunk.address + 32)])
        bytes.replaceSubrange((chunk.address + 4)..<(chunk.address + 8), with: withUnsafeBytes(of: entryCRC.littleEndian, Array.init))
        let changed = try NVSImage(bytes)
        #expect(changed.problems.isEmpty, "\(changed.problems)")
        let export = changed.csv()
        #expect(!export.regenerates)
        #expect(export.notReproduced.contains { $0.contains("'sta.pmk'") && $0.contains("derived entry") }, "\(export.notReproduced)")
    }
}
