import Crypto
import ImageFormats

/// A small valid application image for a chip, with an `esp_app_desc_t` in its first (DROM) segment, so that the
/// emulated boot model starts it and the emulated AT firmware reports its version (the vectors' helloworld images
/// have no app description). Layout as ESP-IDF builds apps: 24-byte header, segments, zero padding to the XOR
/// checksum at the end of a 16-byte block, the appended SHA-256.
public enum TestAppImage {
    public static func build(chip: Chip, version: String, idfVersion: String, project: String = "esp-at",
                             date: String = "May 20 2022", time: String = "03:12:44") -> [UInt8] {
        var description = [UInt8]()
        func u32(_ v: UInt32) { description += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
        func text(_ s: String, _ n: Int) { description += Array(s.utf8.prefix(n - 1)) + [UInt8](repeating: 0, count: n - min(s.utf8.count, n - 1)) }
        u32(AppDescription.magic)
        u32(0)
        description += [UInt8](repeating: 0, count: 8)
        text(version, 32)
        text(project, 32)
        text(time, 16)
        text(date, 16)
        text(idfVersion, 32)
        description += Array(SHA256.hash(data: Array((project + version).utf8)))
        description += [0, 0, 0xFF, 0xFF, 16, 0, 0, 0]  // eFuse block revisions 0..any, MMU page 64 KB
        description += [UInt8](repeating: 0, count: 256 - description.count)
        let code: [UInt8] = Array(repeating: 0, count: 60) + [0x01, 0x02, 0x03, 0x04]
        let segments: [(UInt32, [UInt8])] = [(chip.dromMap.lowerBound + 0x20, description), (chip.iromMap.lowerBound + 0x20, code)]

        var image: [UInt8] = [FirmwareImage.magic, UInt8(segments.count), 2, 0x20]  // DIO, 4MB, 40m
        let entry = chip.iromMap.lowerBound + 0x20
        image += [UInt8(entry & 0xFF), UInt8(entry >> 8 & 0xFF), UInt8(entry >> 16 & 0xFF), UInt8(entry >> 24)]
        image += [0xEE, 0, 0, 0, UInt8(chip.imageChipID & 0xFF), UInt8(chip.imageChipID >> 8), 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0, 1]
        var checksum = FirmwareImage.checksumSeed
        for (address, data) in segments {
            image += [UInt8(address & 0xFF), UInt8(address >> 8 & 0xFF), UInt8(address >> 16 & 0xFF), UInt8(address >> 24)]
            let n = UInt32(data.count)
            image += [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)]
            image += data
            checksum = data.reduce(checksum, ^)
        }
        while image.count % 16 != 15 { image.append(0) }
        image.append(checksum)
        image += Array(SHA256.hash(data: image))
        return image
    }
}
