import Crypto

/// UF2 output as esptool 5.6.0 `uf2_writer.py` writes it (format: microsoft/uf2; reference/esptool.md §9.4).
/// Each file gets its own block numbering; gaps get no blocks.
public struct UF2Writer: Sendable {
    public static let blockSize = 512
    /// Room for payload (and the optional MD5 part) in a block.
    public static let dataAreaSize = 476
    public static let md5PartSize = 24
    static let firstMagic: UInt32 = 0x0A32_4655
    static let secondMagic: UInt32 = 0x9E5D_5157
    static let finalMagic: UInt32 = 0x0AB1_6F30
    static let familyIDPresent: UInt32 = 0x0000_2000
    static let md5Present: UInt32 = 0x0000_4000

    public let familyID: UInt32
    public let chunkSize: Int
    public let md5: Bool
    public private(set) var bytes: [UInt8] = []

    public init(familyID: UInt32, chunkSize: Int? = nil, md5: Bool = true) throws(FormatError) {
        let room = Self.dataAreaSize - (md5 ? Self.md5PartSize : 0)
        let size = chunkSize ?? room
        // esptool asserts here (a crash); refuse with a message instead.
        guard size >= 1, size <= room else {
            throw FormatError("uf2.chunk_size", "UF2 chunk size \(size) must be between 1 and \(room)\(md5 ? " (with the MD5 part)" : "")",
                              at: SourceLocation(field: "chunk-size"))
        }
        self.familyID = familyID
        self.chunkSize = size
        self.md5 = md5
    }

    public mutating func add(address: Int, data: [UInt8]) {
        let blocks = (data.count + chunkSize - 1) / chunkSize
        bytes.reserveCapacity(bytes.count + blocks * Self.blockSize)
        var addr = address
        for blockNo in 0..<blocks {
            let chunk = data[(blockNo * chunkSize)..<min(data.count, (blockNo + 1) * chunkSize)]
            var w = ByteWriter(capacity: Self.blockSize)
            w.writeUInt32LE(Self.firstMagic)
            w.writeUInt32LE(Self.secondMagic)
            w.writeUInt32LE(Self.familyIDPresent | (md5 ? Self.md5Present : 0))
            w.writeUInt32LE(UInt32(truncatingIfNeeded: addr))
            w.writeUInt32LE(UInt32(chunk.count))
            w.writeUInt32LE(UInt32(blockNo))
            w.writeUInt32LE(UInt32(blocks))
            w.writeUInt32LE(familyID)
            w.write(contentsOf: chunk)
            if md5 {
                w.writeUInt32LE(UInt32(truncatingIfNeeded: addr))
                w.writeUInt32LE(UInt32(chunk.count))
                w.write(contentsOf: Insecure.MD5.hash(data: chunk))
            }
            w.pad(to: Self.blockSize - 4, with: 0)
            w.writeUInt32LE(Self.finalMagic)
            bytes += w.bytes
            addr += chunk.count
        }
    }
}
