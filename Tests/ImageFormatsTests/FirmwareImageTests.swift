import Crypto
import ImageFormats
import Testing

@Suite struct FirmwareImageTests {
    @Test func parsesAppWithDescriptionAndDigest() throws {
        let bytes = try Fixtures.bytes("images/esp_idf_blink_esp32s2.bin")
        let info = try ImageInfo(inspecting: bytes)
        #expect(info.chip == .esp32s2)
        #expect(info.image.segments.count == 6)
        #expect(info.image.checksumIsValid)
        #expect(info.image.digestIsValid == true)
        #expect(info.app?.projectName == "blink")
        #expect(info.bootloader == nil)
    }

    @Test func everyTruncationIsAnErrorNotACrash() throws {
        let bytes = try Fixtures.bytes("images/bootloader_esp32_v5_2.bin")
        let parsed = try FirmwareImage(parsing: bytes)
        // Every cut before the checksum byte must fail; cuts inside the digest parse but the digest is invalid.
        for length in Swift.stride(from: 0, to: parsed.dataLength, by: 7) {
            #expect(throws: FormatError.self) { _ = try ImageInfo(inspecting: Array(bytes.prefix(length))) }
        }
        let cut = try FirmwareImage(parsing: Array(bytes.prefix(parsed.dataLength + 10)))
        #expect(cut.digestIsValid == false)
    }

    @Test func refusesBadHashFlagAndTooManySegments() throws {
        var bytes = try Fixtures.bytes("images/esp32s3_header.bin")
        bytes[23] = 2
        #expect(throws: FormatError("image.bad_hash_flag", "")) { _ = try FirmwareImage(parsing: bytes) }
        // 17 empty segments at address 0, then a 16-byte aligned checksum.
        var many: [UInt8] = [0xE9, 17, 2, 0x20, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 16)
        for _ in 0..<17 { many += [UInt8](repeating: 0, count: 8) }
        many += [UInt8](repeating: 0, count: 15 - many.count % 16) + [0xEF]
        #expect(throws: FormatError("image.too_many_segments", "")) { _ = try FirmwareImage(parsing: many) }
    }

    @Test func chipsTheFlasherDoesNotDriveAreRead() throws {
        var bytes = try Fixtures.bytes("images/esp32s3_header.bin")
        bytes[12] = 18  // ESP32-P4
        #expect(try ImageInfo(inspecting: bytes).chip == .esp32p4)
        // An unknown chip id, or a hash-appended byte other than 0/1: esptool reads an ESP8266 image.
        bytes[12] = 99
        let unknown = #expect(throws: FormatError.self) { _ = try ImageInfo(inspecting: bytes) }
        #expect(unknown?.message.contains("segment") == true, "read as an ESP8266 image, whose segments start at byte 8")
        let v1 = try ImageInfo(inspecting: try Fixtures.bytes("images/bootloader_esp8266.bin"))
        #expect(v1.chip == .esp8266 && v1.image.version == 1 && v1.image.extendedHeader == nil && v1.image.checksumIsValid)
        let v2 = try ImageInfo(inspecting: try Fixtures.bytes("images/made-here/esp8266_v2.bin"))
        #expect(v2.image.version == 2 && v2.image.segments.first?.includedInChecksum == false && v2.image.checksumIsValid)
    }

    @Test func namesWhatAFileIsWhenItIsNoImage() throws {
        let error = #expect(throws: FormatError.self) { _ = try ImageInfo(inspecting: try Fixtures.bytes("images/partitions_singleapp.bin")) }
        #expect(error?.message.contains("partition table") == true)
    }

    /// reference/esptool.md §9.4 golden vector: the C3 bootloader with -fm dio -fs 4MB -ff 80m gets header e9 04 02 2f.
    @Test func patchesHeaderAndRecomputesDigest() throws {
        let bytes = try Fixtures.bytes("images/bootloader_esp32c3.bin")
        let settings = FlashSettings(mode: .dio, frequency: FlashFrequency(name: "80m"), size: FlashSize(name: "4MB"))
        let (patched, outcome) = try settings.patch(bytes, at: 0, chip: .esp32c3)
        #expect(Array(patched.prefix(4)) == [0xE9, 0x04, 0x02, 0x2F])
        #expect(outcome == .patched(parameters: 0x022F, changed: true, digestUpdated: true))
        #expect(patched.count == bytes.count)
        #expect(try FirmwareImage(parsing: patched).digestIsValid == true)
        // Elsewhere than the bootloader offset nothing changes.
        #expect(try settings.patch(bytes, at: 0x1000, chip: .esp32c3).bytes == bytes)
        // A digest that is missing is appended.
        let end = try FirmwareImage(parsing: bytes).dataLength
        let grown = try settings.patch(Array(bytes.prefix(end)), at: 0, chip: .esp32c3).bytes
        #expect(grown.count == end + 32)
        #expect(Array(grown.suffix(32)) == Array(SHA256.hash(data: grown.prefix(end))))
    }

    @Test func frequencyCodesArePerChip() throws {
        let bytes = try Fixtures.bytes("images/esp32s3_header.bin")
        let c2 = try FlashSettings(frequency: FlashFrequency(name: "60m")).patch(bytes, at: 0, chip: .esp32c2).bytes
        #expect(c2[3] & 0x0F == 0xF)
        let c6 = try FlashSettings(frequency: FlashFrequency(name: "80m")).patch(bytes, at: 0, chip: .esp32c6).bytes
        #expect(c6[3] & 0x0F == 0x0)
        #expect(throws: FormatError("flash.bad_frequency", "")) { _ = try FlashSettings(frequency: FlashFrequency(name: "26m")).patch(bytes, at: 0, chip: .esp32h2) }
        #expect(throws: FormatError("flash.bad_size", "")) { _ = try FlashSettings(size: FlashSize(name: "256KB")).patch(bytes, at: 0x1000, chip: .esp32) }
        // esptool only complains when it patches: at another address the bad value goes unnoticed.
        #expect(try FlashSettings(frequency: FlashFrequency(name: "26m")).patch(bytes, at: 0x8000, chip: .esp32h2).bytes == bytes)
    }
}

@Suite struct ChipTableTests {
    /// reference/esptool.md §5.2.
    @Test func factsFromTheReference() {
        let expected: [(String, UInt16, Int, UInt32)] = [
            ("esp32", 0, 0x1000, 0x1C5F_21B0), ("esp32s2", 2, 0x1000, 0xBFDD_4EEE), ("esp32s3", 9, 0, 0xC47E_5767),
            ("esp32c2", 12, 0, 0x2B88_D29C), ("esp32c3", 5, 0, 0xD42B_A06C), ("esp32c5", 23, 0x2000, 0xF71C_0343),
            ("esp32c6", 13, 0, 0x540D_DF62), ("esp32h2", 16, 0, 0x3327_26F6),
        ]
        #expect(Chip.flasherChips.count == expected.count)
        #expect(Chip.all.map(\.name) == ["esp8266", "esp32", "esp32s2", "esp32s3", "esp32c3", "esp32c2", "esp32c6", "esp32c61", "esp32c5",
                                         "esp32e22", "esp32h2", "esp32h21", "esp32p4", "esp32h4", "esp32s31"])
        for (name, id, offset, family) in expected {
            let chip = Chip.named(name)
            #expect(chip?.imageChipID == id)
            #expect(chip?.bootloaderOffset == offset)
            #expect(chip?.uf2FamilyID == family)
            #expect(Chip.withImageChipID(id) == chip)
        }
        #expect(Chip.named("ESP32-C3") == .esp32c3)
        #expect(Chip.esp32c6.flashFrequencyName(0) == "80m")
    }
}

@Suite struct MergeFormatTests {
    @Test func intelHexRecords() {
        let hex = String(decoding: IntelHex.encode([(0xFFF8, [UInt8](0..<20)), (0x20000, [0xAA])]), as: UTF8.self)
        // Expected text from intelhex 2.3 (what esptool 5.6.0 uses) for the same bytes.
        #expect(hex == """
            :020000040000FA
            :08FFF8000001020304050607E5
            :020000040001F9
            :0C00000008090A0B0C0D0E0F1011121352
            :020000040002F8
            :01000000AA55
            :00000001FF

            """)
        #expect(String(decoding: IntelHex.encode([(0x10, [1, 2])]), as: UTF8.self) == ":020010000102EB\n:00000001FF\n")
    }

    @Test func uf2Blocks() throws {
        var writer = try UF2Writer(familyID: Chip.esp32.uf2FamilyID)
        writer.add(address: 0x1000, data: [UInt8](repeating: 7, count: 500))
        writer.add(address: 0x8000, data: [1])
        let blocks = writer.bytes
        #expect(blocks.count == 3 * 512)
        func word(_ block: Int, _ index: Int) -> UInt32 {
            (0..<4).reduce(0) { $0 | UInt32(blocks[block * 512 + index * 4 + $1]) << (8 * UInt32($1)) }
        }
        #expect(word(0, 0) == 0x0A32_4655 && word(0, 1) == 0x9E5D_5157 && word(0, 127) == 0x0AB1_6F30)
        #expect(word(0, 2) == 0x6000)
        #expect(word(0, 3) == 0x1000 && word(0, 4) == 452 && word(0, 5) == 0 && word(0, 6) == 2 && word(0, 7) == 0x1C5F_21B0)
        #expect(word(1, 3) == 0x1000 + 452 && word(1, 4) == 48 && word(1, 5) == 1)
        #expect(word(2, 3) == 0x8000 && word(2, 5) == 0 && word(2, 6) == 1)
        #expect(throws: FormatError.self) { _ = try UF2Writer(familyID: 0, chunkSize: 460) }
    }

    @Test func overlapErrorsNameBothFiles() {
        let a = MergeInput(address: 0x1000, name: "a.bin", bytes: [UInt8](repeating: 0, count: 0x10))
        let b = MergeInput(address: 0x1800, name: "b.bin", bytes: [1])
        let error = #expect(throws: FormatError.self) { _ = try FirmwareMerger.merge([b, a], options: MergeOptions(chip: .esp32)) }
        #expect(error?.message.contains("a.bin") == true && error?.message.contains("b.bin") == true)
    }

    @Test func intelHexInputIsRefusedNotMergedAsText() {
        let hex = IntelHex.encode([(0x1000, [1, 2, 3])])
        #expect(throws: FormatError("merge.hex_input", "")) {
            _ = try FirmwareMerger.merge([MergeInput(address: 0x1000, name: "app.hex", bytes: hex)], options: MergeOptions(chip: .esp32))
        }
        // A binary that merely starts with ':' is still binary (esptool falls back the same way).
        #expect(throws: Never.self) {
            _ = try FirmwareMerger.merge([MergeInput(address: 0x1000, name: "x.bin", bytes: [0x3A, 0xFF, 0x00])], options: MergeOptions(chip: .esp32))
        }
    }

    @Test func rawPaddingAndTargetOffset() throws {
        var options = MergeOptions(chip: .esp32)
        options.targetOffset = 0x1000
        options.padToSize = 0x4000
        let out = try FirmwareMerger.merge([MergeInput(address: 0x2000, name: "x", bytes: [1, 2, 3])], options: options).bytes
        #expect(out.count == 0x3000)
        #expect(out[0x1000..<0x1003] == [1, 2, 3])
        #expect(out.filter { $0 == 0xFF }.count == 0x3000 - 3)
        options.padToSize = 0x2000
        #expect(throws: FormatError("merge.past_pad_size", "")) {
            _ = try FirmwareMerger.merge([MergeInput(address: 0x2000, name: "x", bytes: [1, 2, 3])], options: options)
        }
    }

    @Test func configFiles() throws {
        let line = "--flash_mode dio --flash_freq 40m --flash_size detect 0x1000 bootloader/bootloader.bin 0x8000 partitions_at.bin\n"
        let old = try FlashConfigFile(parsing: Array(line.utf8))
        #expect(old.flash == FlashSettings(mode: .dio, frequency: FlashFrequency(name: "40m"), size: nil))
        #expect(old.detectSize && old.detectSizeLocation?.line == 1, "detect is kept for a connected chip; merge-bin warns about it")
        #expect(old.warnings.isEmpty)
        #expect(old.entries.map(\.address) == [0x1000, 0x8000])
        let json = """
            {"write_flash_args": ["--flash_mode", "dio", "--flash_size", "2MB", "--flash_freq", "80m"],
             "flash_settings": {"flash_mode": "dio", "flash_size": "2MB", "flash_freq": "80m"},
             "flash_files": {"0x8000": "partition_table/partition-table.bin", "0x1000": "bootloader/bootloader.bin", "0x10000": "app.bin"},
             "extra_esptool_args": {"after": "hard_reset", "before": "default_reset", "stub": true, "chip": "esp32"}}
            """
        let idf = try FlashConfigFile(parsing: Array(json.utf8))
        #expect(idf.chip == "esp32")
        #expect(idf.flash == FlashSettings(mode: .dio, frequency: FlashFrequency(name: "80m"), size: FlashSize(name: "2MB")))
        #expect(idf.entries.map(\.path) == ["bootloader/bootloader.bin", "partition_table/partition-table.bin", "app.bin"])
        let bad = #expect(throws: FormatError.self) { _ = try FlashConfigFile(parsing: Array("--flash_mode dio\n0x1000 a.bin\n--bogus 3\n".utf8)) }
        #expect(bad?.location.line == 3)
    }
}
