import ImageFormats
import Testing

/// Finding tables and partitions inside a whole flash image, and the check after an edit.
@Suite struct FlashImageTests {
    /// 1 MB of 0xFF with ESP-IDF's single-app table (esptool's test data) at `tableOffset` and the ESP32-C3
    /// bootloader (with SHA-256) at 0.
    static func image(tableOffset: Int) throws -> [UInt8] {
        var image = [UInt8](repeating: 0xFF, count: 0x100000)
        let table = try Fixtures.bytes("images/partitions_singleapp.bin")
        image.replaceSubrange(tableOffset..<(tableOffset + table.count), with: table)
        let bootloader = try Fixtures.bytes("images/bootloader_esp32c3.bin")
        image.replaceSubrange(0..<bootloader.count, with: bootloader)
        return image
    }

    @Test func tablesAreFoundAtTheirOffsetOrByScanning() throws {
        let standard = try FlashLayout.locate(in: try Self.image(tableOffset: 0x8000))
        #expect(standard.tables.map(\.offset) == [0x8000])
        #expect(try standard.partition(named: "factory").range == 0x10000..<0x110000)
        let moved = try FlashLayout.locate(in: try Self.image(tableOffset: 0xA000))
        #expect(moved.tables.first?.offset == 0xA000)
        #expect(throws: FormatError.self) { try FlashLayout.locate(in: try Self.image(tableOffset: 0xA000), tableOffset: 0x8000) }
        #expect(throws: FormatError.self) { try FlashLayout.locate(in: [UInt8](repeating: 0xFF, count: 0x10000)) }
        let missing = #expect(throws: FormatError.self) { try standard.partition(named: "ota_0") }
        #expect(missing?.help?.contains("factory (partition table)") == true)
    }

    @Test func theCheckFindsStrayChangesAndBrokenDigests() throws {
        let before = try Self.image(tableOffset: 0x8000)
        var after = before
        after[0x50000] = 0
        #expect(FlashEditCheck.problems(before: before, after: after, allowed: [0x50000..<0x50001]).isEmpty)
        #expect(FlashEditCheck.problems(before: before, after: after, allowed: [0x40000..<0x41000]).first?.contains("0x50000") == true)
        var broken = before
        broken[100] ^= 1  // inside the bootloader: checksum and SHA-256 no longer match
        let problems = FlashEditCheck.problems(before: before, after: broken, allowed: [0..<0x1000])
        #expect(problems.contains { $0.contains("bootloader") }, "\(problems)")
        let integrity = FlashIntegrity.check(before, layout: try FlashLayout.locate(in: before))
        #expect(integrity.allValid && integrity.records.contains { $0.what == "bootloader SHA-256" && $0.state == .valid })
    }

    @Test func contentRulesFollowTheFirmwaresOwnChecks() throws {
        let app = PartitionEntry(name: "factory", type: 0, subtype: 0, offset: 0x10000, size: 0x100000)
        #expect(PartitionReplacement.contentProblem(try Fixtures.bytes("images/esp_idf_blink_esp32s2.bin"), for: app) == nil)
        #expect(PartitionReplacement.contentProblem([1, 2, 3], for: app) != nil)
        let nvs = PartitionEntry(name: "nvs", type: 1, subtype: 2, offset: 0x9000, size: 0x6000)
        #expect(PartitionReplacement.contentProblem(try Fixtures.bytes("nvs/nvs_all_types.bin"), for: nvs) == nil)
        #expect(PartitionReplacement.contentProblem(try Fixtures.bytes("images/partitions_singleapp.bin"), for: nvs) != nil)
        let unknown = PartitionEntry(name: "storage", type: 1, subtype: 0x82, offset: 0x9000, size: 0x6000)
        #expect(PartitionReplacement.contentProblem([1, 2, 3], for: unknown) == nil)
    }
}
