import Crypto
import ImageFormats
import Testing

@Suite("Stand-in app images, typed flash settings and the chip guard")
struct AppImageTests {
    @Test("make-app writes the fixture's bytes (the generator is stable)")
    func fixtureBytes() throws {
        var options = AppImage.Options(chip: .esp32)
        options.projectName = "esp-at"
        options.version = "v2.4.0.0"
        #expect(try AppImage.make(options) == (try Fixtures.bytes("images/app_esp32_esp-at.bin")))
    }

    @Test func theESP8266HasNoSuchImages() {
        #expect(throws: FormatError("app.bad_chip", "")) { try AppImage.make(AppImage.Options(chip: .esp8266)) }
    }

    @Test("a valid image for every ESP32-family chip: checksum, digest, descriptor, code aligned to its MMU page",
          arguments: Chip.allCases.filter { $0.imageFormat == .esp32 })
    func validForEveryChip(_ chip: Chip) throws {
        var options = AppImage.Options(chip: chip)
        options.version = "v3.1.0.0"
        options.codeSize = 5000
        options.minimumRevision = ChipRevision(major: 1, minor: 2)
        options.flash.frequency = chip.flashFrequencies.first.flatMap { FlashFrequency(name: $0.name) }
        let bytes = try AppImage.make(options)
        let info = try ImageInfo(inspecting: bytes)
        #expect(info.chip == chip)
        #expect(info.image.checksumIsValid)
        #expect(info.image.digestIsValid == true)
        #expect(info.image.storedDigest == Array(SHA256.hash(data: bytes[0..<info.image.dataLength])))
        #expect(bytes.count == info.image.dataLength + 32)
        #expect(info.app?.projectName == "esp-at")
        #expect(info.app?.version == "v3.1.0.0")
        #expect(info.image.extendedHeader?.minRevisionFull == 102)
        #expect(FlashMode(headerCode: info.image.flashMode) == .dio)
        #expect(FlashSize(headerCode: info.image.flashSizeCode)?.name == "4MB")
        // Flash-mapped code: its data's file offset is congruent to its address modulo 64 KB.
        let code = try #require(info.image.segments.last)
        #expect(chip.isFlashMapped(code.loadAddress))
        #expect((code.fileOffset + 8) % 0x10000 == Int(code.loadAddress) % 0x10000)
        #expect(code.data.count == 5000)
        #expect(info.warnings.isEmpty)
    }

    @Test("refused: descriptor strings that do not fit, a frequency the chip lacks")
    func refusals() {
        var long = AppImage.Options(chip: .esp32)
        long.projectName = String(repeating: "x", count: 32)
        #expect(throws: FormatError("app.field_too_long", "")) { _ = try AppImage.make(long) }
        var c2 = AppImage.Options(chip: .esp32c2)
        c2.flash.frequency = FlashFrequency(name: "40m")
        #expect(throws: FormatError("app.bad_frequency", "")) { _ = try AppImage.make(c2) }
    }

    @Test("one size table: names, byte counts, header codes and JEDEC capacities agree")
    func flashSizes() {
        let four = FlashSize(name: "4mb")
        #expect(four?.bytes == 4 << 20 && four?.headerCode == 0x20 && four?.name == "4MB")
        #expect(FlashSize(name: "2MB-c1")?.bytes == 2 << 20 && FlashSize(name: "2MB-c1")?.headerCode == nil)
        #expect(FlashSize(name: "256MB") == nil)  // detected only, never an -fs value
        #expect(FlashSize(bytes: 16 << 20)?.name == "16MB")
        #expect(FlashSize(headerCode: 0x70)?.name == "128MB")
        #expect(FlashSize.detected(fromJEDEC: 0x1640EF)?.name == "4MB")   // W25Q32
        #expect(FlashSize.detected(fromJEDEC: 0x3920C2)?.name == "32MB")  // capacity 0x39
        #expect(FlashSize.detected(fromJEDEC: 0x22_00_EF)?.name == "256MB")
        #expect(FlashSize.detected(fromJEDEC: 0x0000_071F)?.name == "4MB")  // Adesto
        #expect(FlashSize.detected(fromJEDEC: 0xFFFFFF) == nil)
        #expect(FlashSize.choices == ["256KB", "512KB", "1MB", "2MB", "2MB-c1", "4MB", "4MB-c1", "8MB", "16MB", "32MB", "64MB", "128MB"])
        #expect(FlashMode(name: "DIO") == .dio && FlashMode(headerCode: 3) == .dout)
        #expect(FlashFrequency(name: "80M")?.headerCode(for: .esp32) == 0xF)
        #expect(FlashFrequency(name: "80m")?.headerCode(for: .esp32c2) == nil)
        #expect(FlashFrequency(name: "79m") == nil)
    }

    static func app(_ chip: Chip, min: ChipRevision = ChipRevision(major: 0, minor: 0), max: ChipRevision = ChipRevision(major: 3, minor: 99),
                    legacyOnly: Bool = false) throws -> [UInt8] {
        var options = AppImage.Options(chip: chip)
        options.minimumRevision = min
        options.maximumRevision = max
        options.codeSize = 64
        var bytes = try AppImage.make(options)
        if legacyOnly {  // an image from before min/max_rev_full: those fields are 0
            bytes.replaceSubrange(15..<19, with: [0, 0, 0, 0])
        }
        return bytes
    }

    @Test("the guard: another chip's image, a revision too low or too high, legacy revision bytes")
    func guardDecisions() throws {
        let v3 = ChipRevision(major: 3, minor: 0)
        let s2 = try Self.app(.esp32s2)
        let mismatch = ImageCompatibility.mismatches(in: s2, at: 0x10000, name: "s2.bin", chip: .esp32, revision: v3)
        #expect(mismatch.map(\.kind) == [.otherChip(imageChipID: 2)])
        #expect(mismatch.first?.description.contains("ESP32-S2 image") == true)
        #expect(ImageCompatibility.mismatches(in: try Self.app(.esp32), at: 0x10000, name: "a", chip: .esp32, revision: v3).isEmpty)
        let tooLow = ImageCompatibility.mismatches(in: try Self.app(.esp32, min: ChipRevision(major: 3, minor: 1)), at: 0, name: "a",
                                                   chip: .esp32, revision: v3)
        #expect(tooLow.map(\.kind) == [.revision(required: "in range v3.1 - v3.99", actual: "v3.0")])
        let tooHigh = ImageCompatibility.mismatches(in: try Self.app(.esp32, max: ChipRevision(major: 1, minor: 99)), at: 0, name: "a",
                                                    chip: .esp32, revision: v3)
        #expect(tooHigh.map(\.kind) == [.revision(required: "v1.99 or lower", actual: "v3.0")])
        // Legacy byte: the minor revision on the C3 (v0.3 needed, v0.2 present), the major one elsewhere.
        let c3 = try Self.app(.esp32c3, min: ChipRevision(major: 0, minor: 3), legacyOnly: true)
        #expect(ImageCompatibility.mismatches(in: c3, at: 0, name: "c3", chip: .esp32c3, revision: ChipRevision(major: 0, minor: 2))
            .map(\.kind) == [.revision(required: "3 or higher", actual: "2")])
        #expect(ImageCompatibility.mismatches(in: c3, at: 0, name: "c3", chip: .esp32c3, revision: ChipRevision(major: 0, minor: 4)).isEmpty)
        // Without a revision only the chip is judged; bytes that are no image are not judged.
        #expect(ImageCompatibility.mismatches(in: try Self.app(.esp32, min: v3), at: 0, name: "a", chip: .esp32, revision: nil).isEmpty)
        #expect(ImageCompatibility.mismatches(in: [0xAA, 0x50, 1, 2], at: 0x8000, name: "t", chip: .esp32, revision: v3).isEmpty)
    }

    @Test("the guard looks inside a merged image: the bootloader at the chip's offset and the apps of its partition table")
    func guardInsideMergedImages() throws {
        let table = try PartitionTable.parseCSV("nvs, data, nvs, 0x9000, 0x6000\nfactory, app, factory, 0x10000, 0x100000\n").encoded()
        func merged(bootloader: [UInt8], app: [UInt8]) -> [UInt8] {
            var image = [UInt8](repeating: 0xFF, count: 0x40000)
            image.replaceSubrange(0x1000..<(0x1000 + bootloader.count), with: bootloader)
            image.replaceSubrange(0x8000..<(0x8000 + table.count), with: table)
            image.replaceSubrange(0x10000..<(0x10000 + app.count), with: app)
            return image
        }
        let esp32Boot = try Fixtures.bytes("images/bootloader_esp32.bin"), c3Boot = try Fixtures.bytes("images/bootloader_esp32c3.bin")
        let v3 = ChipRevision(major: 3, minor: 0)
        let good = merged(bootloader: esp32Boot, app: try Self.app(.esp32))
        #expect(ImageCompatibility.mismatches(in: good, at: 0, name: "factory.bin", chip: .esp32, revision: v3).isEmpty)
        let wrongBoot = ImageCompatibility.mismatches(in: merged(bootloader: c3Boot, app: try Self.app(.esp32)), at: 0, name: "factory.bin",
                                                      chip: .esp32, revision: v3)
        #expect(wrongBoot.map(\.address) == [0x1000])
        #expect(wrongBoot.first?.name == "factory.bin (bootloader at 0x1000)")
        let wrongApp = ImageCompatibility.mismatches(in: merged(bootloader: esp32Boot, app: try Self.app(.esp32s2)), at: 0, name: "factory.bin",
                                                     chip: .esp32, revision: v3)
        #expect(wrongApp.map(\.address) == [0x10000])
        #expect(wrongApp.first?.name == "factory.bin (app 'factory' at 0x10000)")
    }
}
