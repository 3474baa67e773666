/// `esp_app_desc_t`: 256 bytes at the start of an application's first DROM segment (ESP-IDF
/// `esp_app_format.h`; esptool 5.6.0 `cmds.py: _parse_app_info`).
public struct AppDescription: Sendable, Hashable {
    public static let magic: UInt32 = 0xABCD_5432
    public static let length = 256

    public var secureVersion: UInt32
    public var version: String
    public var projectName: String
    public var compileTime: String
    public var compileDate: String
    public var idfVersion: String
    public var elfSHA256: [UInt8]
    /// major × 100 + minor.
    public var minEfuseBlockRevision: UInt16
    public var maxEfuseBlockRevision: UInt16
    /// log2 of the MMU page size, 0 when not recorded.
    public var mmuPageSizeLog2: UInt8

    /// Reads a descriptor from the start of `data`; nil when the magic word is absent or `data` is too short.
    public init?(_ data: [UInt8]) {
        guard data.count >= Self.length else { return nil }
        var r = ByteReader(Array(data.prefix(Self.length)))
        do throws(FormatError) {
            guard try r.readUInt32LE() == Self.magic else { return nil }
            secureVersion = try r.readUInt32LE()
            try r.skip(8)
            version = descriptorString(try r.readBytes(32))
            projectName = descriptorString(try r.readBytes(32))
            compileTime = descriptorString(try r.readBytes(16))
            compileDate = descriptorString(try r.readBytes(16))
            idfVersion = descriptorString(try r.readBytes(32))
            elfSHA256 = Array(try r.readBytes(32))
            minEfuseBlockRevision = try r.readUInt16LE()
            maxEfuseBlockRevision = try r.readUInt16LE()
            mmuPageSizeLog2 = try r.readUInt8()
        } catch { return nil }
    }

    /// "64 KB", as esptool prints `2**n // 1024`; nil when not recorded.
    public var mmuPageSize: String? {
        guard mmuPageSizeLog2 != 0 else { return nil }
        return mmuPageSizeLog2 >= 63 ? nil : "\((1 << Int(mmuPageSizeLog2)) / 1024) KB"
    }
}

/// `esp_bootloader_desc_t`: 80 bytes at the start of a bootloader's DRAM segment (ESP-IDF v5.2+;
/// esptool 5.6.0 `cmds.py: _parse_bootloader_info`).
public struct BootloaderDescription: Sendable, Hashable {
    public static let magic: UInt8 = 0x50
    public static let length = 80

    public var version: UInt32
    public var idfVersion: String
    public var dateTime: String

    public init?(_ data: [UInt8]) {
        guard data.count >= Self.length, data[0] == Self.magic else { return nil }
        var r = ByteReader(Array(data.prefix(Self.length)), offset: 4)
        do throws(FormatError) {
            version = try r.readUInt32LE()
            idfVersion = descriptorString(try r.readBytes(32))
            dateTime = descriptorString(try r.readBytes(24))
        } catch { return nil }
    }
}

/// esptool's `sanitize_string`: UTF-8 text with every NUL removed (not only trailing ones).
func descriptorString(_ bytes: ArraySlice<UInt8>) -> String {
    String(decoding: bytes.filter { $0 != 0 }, as: UTF8.self)
}

extension FirmwareImage {
    /// The descriptors esptool image-info looks for: the app description in the first segment that lies in DROM,
    /// otherwise the bootloader description in the *last* DRAM segment of at least 80 bytes (esptool keeps
    /// overwriting its candidate while it walks the segments).
    public func descriptors(for chip: Chip) -> (app: AppDescription?, bootloader: BootloaderDescription?) {
        var appSegment: [UInt8]?
        var bootloaderSegment: [UInt8]?
        for segment in segments {
            let types = chip.memoryTypes(at: segment.loadAddress)
            if types.contains("DROM") && appSegment == nil {
                appSegment = segment.data
            } else if types.contains("DRAM"), segment.data.count >= BootloaderDescription.length {
                bootloaderSegment = segment.data
            }
        }
        if let appSegment, !appSegment.isEmpty {
            return (AppDescription(appSegment), nil)
        }
        return (nil, bootloaderSegment.flatMap(BootloaderDescription.init))
    }
}
