import ImageFormats

/// GET_SECURITY_INFO's answer: 20 bytes on ESP32-S3 and later, 12 on the ESP32-S2 (no chip id or ECO version);
/// the ESP32 ROM does not have the command (esptool `get_security_info`).
public struct SecurityInfo: Equatable, Sendable {
    public var flags: UInt32
    public var flashCryptCount: UInt8
    public var keyPurposes: [UInt8]
    public var chipID: UInt32?
    public var ecoVersion: UInt32?

    public init(flags: UInt32 = 0, flashCryptCount: UInt8 = 0, keyPurposes: [UInt8] = Array(repeating: 0, count: 7),
                chipID: UInt32? = nil, ecoVersion: UInt32? = nil) {
        self.flags = flags
        self.flashCryptCount = flashCryptCount
        self.keyPurposes = keyPurposes
        self.chipID = chipID
        self.ecoVersion = ecoVersion
    }

    /// Flag bits (esptool `SECURITY_INFO_FLAGS`... bit 0 secure boot, bit 2 secure download mode).
    public var secureBootEnabled: Bool { flags & (1 << 0) != 0 }
    public var secureDownloadMode: Bool { flags & (1 << 2) != 0 }
    /// Flash encryption is on when the counter has an odd number of bits set.
    public var flashEncryptionEnabled: Bool { flashCryptCount.nonzeroBitCount % 2 == 1 }

    public var bytes: [UInt8] {
        var w = ByteWriter(capacity: 20)
        w.writeUInt32LE(flags)
        w.write(flashCryptCount)
        w.write(contentsOf: keyPurposes.prefix(7) + Array(repeating: 0, count: max(0, 7 - keyPurposes.count)))
        if let chipID {
            w.writeUInt32LE(chipID)
            w.writeUInt32LE(ecoVersion ?? 0)
        }
        return w.bytes
    }

    /// Parses the 20- or 12-byte form; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 20 || bytes.count == 12 else { return nil }
        var r = ByteReader(bytes)
        guard let flags = try? r.readUInt32LE(), let count = try? r.readUInt8(), let purposes = try? r.readBytes(7) else { return nil }
        self.flags = flags
        flashCryptCount = count
        keyPurposes = Array(purposes)
        if bytes.count == 20 {
            chipID = try? r.readUInt32LE()
            ecoVersion = try? r.readUInt32LE()
        }
    }
}
