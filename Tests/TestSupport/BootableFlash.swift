import ImageFormats

/// The files of a chip that boots: a stand-in second-stage bootloader at the chip's bootloader offset (any valid
/// image passes the emulated ROM's checks), a partition table at 0x8000 with one factory app at 0x10000, and the
/// app. `merged` puts them into one image that starts at 0x0.
public struct BootableFlash {
    public let chip: Chip
    public let bootloader: [UInt8]
    public let partitionTable: [UInt8]
    public let app: [UInt8]

    public static let appOffset = 0x10000

    public init(chip: Chip, version: String = "v1.0.0", project: String = "hw-test") {
        self.chip = chip
        var options = AppImage.Options(chip: chip)
        options.codeSize = 0x3000
        do { bootloader = try AppImage.makeBootloader(options) } catch { fatalError("bootloader stand-in: \(error.message)") }
        app = TestAppImage.build(chip: chip, version: version, idfVersion: "v5.2", project: project)
        do {
            partitionTable = try PartitionTable(entries: [
                PartitionEntry(name: "nvs", type: 1, subtype: 2, offset: 0x9000, size: 0x6000),
                PartitionEntry(name: "factory", type: 0, subtype: 0, offset: UInt32(Self.appOffset), size: 0x100000),
            ]).encoded(md5: true)
        } catch { fatalError("partition table: \(error.message)") }
    }

    /// `(address, bytes)` of each file.
    public var files: [(address: Int, data: [UInt8])] {
        [(chip.bootloaderOffset, bootloader), (0x8000, partitionTable), (Self.appOffset, app)]
    }

    /// The files in one image from 0x0, 0xFF between them.
    public var merged: [UInt8] {
        var image = [UInt8](repeating: 0xFF, count: Self.appOffset + app.count)
        for f in files { image.replaceSubrange(f.address..<(f.address + f.data.count), with: f.data) }
        return image
    }
}
