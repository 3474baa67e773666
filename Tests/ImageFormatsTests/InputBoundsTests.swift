import ImageFormats
import Testing

/// Regression tests of issue 16's defects at library level: bounds on addresses and sizes, labels that must not
/// become other partitions, NUL bytes in names, factory_param inputs that give a bin the firmware ignores.
@Suite struct InputBoundsTests {
    static let tiny = MergeInput(address: 0, name: "a.bin", bytes: [1, 2, 3])

    @Test(arguments: [0xFFFF_FFFF_FFFF, 0xFFFF_FFFF, 0x1_0000_0000, InputLimits.flashSize])
    func mergeRefusesAddressesBeyondTheLargestFlash(_ address: Int) {
        for format in MergeFormat.allCases {
            var options = MergeOptions(chip: .esp32)
            options.format = format
            #expect(throws: FormatError("merge.beyond_flash", "")) {
                try FirmwareMerger.merge([MergeInput(address: address, name: "far.bin", bytes: [0xAA])], options: options)
            }
        }
    }

    @Test func mergeRefusesPaddingAndTargetOffsetBeyondTheLargestFlash() throws {
        var options = MergeOptions(chip: .esp32)
        options.padToSize = 1_048_576 << 20
        #expect(throws: FormatError("merge.beyond_flash", "")) { try FirmwareMerger.merge([Self.tiny], options: options) }
        options.padToSize = InputLimits.flashSize
        #expect(try FirmwareMerger.merge([Self.tiny], options: options).length == InputLimits.flashSize)
        options.padToSize = nil
        options.targetOffset = 0x1_0000_0000
        #expect(throws: FormatError("merge.beyond_flash", "")) { try FirmwareMerger.merge([Self.tiny], options: options) }
    }

    @Test func mergeAcceptsAFileEndingExactlyAtTheLargestFlash() throws {
        let last = MergeInput(address: InputLimits.flashSize - 4, name: "end.bin", bytes: [1, 2, 3, 4])
        var options = MergeOptions(chip: .esp32)
        options.format = .uf2
        let uf2 = try FirmwareMerger.merge([last], options: options).bytes
        // The block's target address is the file's, not a wrapped one.
        #expect(Array(uf2[12..<16]) == [0xFC, 0xFF, 0xFF, 0x0F])
    }

    @Test func nvsSizesBeyondTheLargestFlashAreRefused() {
        #expect(throws: FormatError("nvs.size", "")) { try NVSImageBuilder(size: 0x100_0000_0000) }
        #expect(throws: FormatError("nvs.size", "")) { try NVSImageBuilder(size: InputLimits.flashSize + 0x1000) }
    }

    @Test func aHeaderOnlyTypeCSVIsRefused() {
        #expect(throws: FormatError("factory_param.bad_types", "")) {
            try FactoryParamLayout.parseTypeCSV("param_name,offset,type,size\n")
        }
        #expect(throws: FormatError("factory_param.bad_types", "")) {
            try FactoryParamLayout.parseTypeCSV("param_name,offset,type,size\ndescription,-1,String,0\n")
        }
    }

    @Test func aBinWithoutTheMagicIsRefused() throws {
        let layout = try FactoryParamLayout.parseTypeCSV("param_name,offset,type,size\nversion,2,integer,1\n")
        let data = try FactoryParamData.parse("platform,module_name,version\nPLATFORM_ESP32,M,3\n")
        #expect(throws: FormatError("factory_param.bad_data", "")) { try FactoryParamImage.build(data.rows[0], data: data, layout: layout) }
    }

    @Test func nulBytesInNamesAreRefused() throws {
        #expect(throws: FormatError("partition_table.name_nul", "")) {
            try PartitionTable.parseCSV("nv\0s, data, nvs, 0x9000, 0x6000\n")
        }
        #expect(throws: FormatError("nvs.key_nul", "")) {
            try NVSGenerator.generate(csv: Array("key,type,encoding,value\nns,namespace,,\nk\0x,data,u8,1\n".utf8), size: 0x3000) { _ throws(FormatError) in [] }
        }
        let layout = FactoryParamLayout.builtIn(version: 3)!
        let data = try FactoryParamData.parse("platform,module_name,magic_flag,version\nPLATFORM_ESP32,MO\0D,0xfcfc,3\n")
        #expect(throws: FormatError("factory_param.bad_cell", "")) { try FactoryParamImage.build(data.rows[0], data: data, layout: layout) }
    }

    /// A binary label holding a line break once became another partition when its CSV was read back.
    @Test(arguments: ["a,b", "$HOME", "#x", " pad ", "q\"uote", "\"", "", "nvs"])
    func labelsRoundTripThroughCSV(_ label: String) throws {
        let table = PartitionTable(entries: [PartitionEntry(name: label, type: 1, subtype: 2, offset: 0x9000, size: 0x6000),
                                             PartitionEntry(name: "app", type: 0, subtype: 0, offset: 0x10000, size: 0x100000)])
        let binary = try table.encoded()
        let csv = try PartitionTable.decode(binary).table.csv()
        let back = try PartitionTable.parseCSV(csv)
        #expect(back.entries.map(\.name) == [label, "app"])
        #expect(try back.encoded() == binary)
        #expect(csv.contains("\n" + label + ",") == !["a,b", "$HOME", "#x", " pad ", "\""].contains(label))
    }

    @Test(arguments: ["a\nfactory,app", "x\ry", "t\u{1C}u", "\u{2028}"])
    func labelsNoCSVLineCanCarryAreRefused(_ label: String) throws {
        var record = PartitionEntry(name: "x", type: 1, subtype: 2, offset: 0x9000, size: 0x6000).record
        record.replaceSubrange(12..<28, with: Array(label.utf8) + [UInt8](repeating: 0, count: 16 - label.utf8.count))
        let decoded = try PartitionTable.decode(record + [UInt8](repeating: 0xFF, count: 32), checkMD5: false)
        #expect(throws: FormatError("partition_table.label_unwritable", "")) { try decoded.table.csv() }
    }

    @Test func normalNamesAreWrittenAsGenEsp32partWritesThem() throws {
        let table = try PartitionTable.parseCSV("nvs, data, nvs, 0x9000, 0x6000\nphy_init, data, phy, , 4K\nfactory, app, factory, 0x10000, 1M\n")
        #expect(try table.csv() == """
            # ESP-IDF Partition Table
            # Name, Type, SubType, Offset, Size, Flags
            nvs,data,nvs,0x9000,24K,
            phy_init,data,phy,0xf000,4K,
            factory,app,factory,0x10000,1M,

            """)
    }

    @Test func anUnterminatedQuotedNameIsAnErrorNamingTheLine() {
        #expect(throws: FormatError("partition_table.quoted_name", "")) { try PartitionTable.parseCSV("\n\"nvs, data, nvs, 0x9000, 24K\n") }
        do {
            _ = try PartitionTable.parseCSV("\n\"nvs, data, nvs, 0x9000, 24K\n")
        } catch {
            #expect(error.location.line == 2 && error.location.field == "Name")
        }
    }

    @Test func inputsLargerThanTheirLimitAreRefused() throws {
        #expect(throws: FormatError("input.too_large", "")) {
            try PartitionCSVFormat().decodeChecked([UInt8](repeating: 0x20, count: InputLimits.text + 1))
        }
        #expect(throws: FormatError("input.beyond_flash", "")) { try InputLimits.checkFlashExtent(InputLimits.flashSize + 1, "SIZE") }
    }
}
