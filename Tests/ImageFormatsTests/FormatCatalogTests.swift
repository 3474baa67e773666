import Foundation
import ImageFormats
import TestSupport
import Testing

/// Every parser through its `FormatDecoder` entry: the fuzz seeds and regression cases pass the property checks
/// the fuzz targets make, and the images esptool wrote re-encode to their own bytes.
@Suite struct FormatCatalogTests {
    @Test func everyFormatHasItsOwnNameAndSeeds() {
        let names = FormatCatalog.imageFormats.map(\.formatName)
        #expect(Set(names).count == names.count)
        for name in names { #expect(!FuzzCases.seeds(name).isEmpty, "no seeds for \(name)") }
    }

    @Test func seedsAndRegressionCasesKeepTheirProperties() {
        #expect(FuzzCases.failures(FormatCatalog.imageFormats) == [])
    }

    @Test func seedsDecode() throws {
        // Seeds are real files, error fixtures among them: some of each target's must decode, so the fuzzer starts
        // from inputs that reach past the first check.
        for format in FormatCatalog.imageFormats {
            let seeds = FuzzCases.seeds(format.formatName)
            let decoded = seeds.filter { file in (try? format.decodeChecked(Array(FileManager.default.contents(atPath: file)!))) != nil }
            #expect(decoded.count >= min(3, seeds.count), "\(format.formatName): \(decoded.count) of \(seeds.count) seeds decode")
        }
    }

    @Test(arguments: ["app_esp32_esp-at.bin", "bootloader_esp32.bin", "bootloader_esp32c3.bin", "esp_idf_blink_esp32s2.bin", "esp32s3_header.bin"])
    func imagesReEncodeToTheirOwnBytes(_ name: String) throws {
        let bytes = try Fixtures.bytes("images/" + name)
        let image = try FirmwareImage(parsing: bytes)
        let encoded = try image.encoded()
        #expect(encoded == Array(bytes.prefix(encoded.count)))
        #expect(encoded.count == image.dataLength + (image.storedDigest?.count ?? 0))
    }

    @Test func theLimitsAreTheDocumentedOnes() {
        #expect(InputLimits.text == 64 << 20 && InputLimits.binary == 256 << 20)
        #expect(PartitionCSVFormat().maxInputSize == InputLimits.text && PartitionBinaryFormat().maxInputSize == InputLimits.binary)
    }
}
