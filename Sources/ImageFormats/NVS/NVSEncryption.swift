import Crypto

/// The NVS encryption keys: XTS data key `eky` and tweak key `tky`, stored in an `nvs_keys` partition as
/// `eky[32] | tky[32] | crc32 u32 LE | FF…` padded to 4096 bytes (idf-formats.md §2.13).
public struct NVSKeys: Sendable, Equatable {
    public let encryptionKey: [UInt8]
    public let tweakKey: [UInt8]

    public static let keyFileSize = 4096

    public init(encryptionKey: [UInt8], tweakKey: [UInt8]) {
        precondition(encryptionKey.count == 32 && tweakKey.count == 32, "XTS-AES-256 keys are 32 bytes each")
        self.encryptionKey = encryptionKey
        self.tweakKey = tweakKey
    }

    /// Reads the first 64 bytes of a key file, as 0.3.0 `--inputkey` does (the CRC is not required).
    public init(keyFile bytes: [UInt8]) throws(FormatError) {
        guard bytes.count >= 64 else {
            throw FormatError("nvs.key_file", "a key file holds at least 64 bytes (eky and tky); this one has \(bytes.count)",
                              help: "make one with 'espflash-swift nvs generate-key'")
        }
        self.init(encryptionKey: Array(bytes[0..<32]), tweakKey: Array(bytes[32..<64]))
    }

    /// Fresh keys from the system's cryptographic random source.
    public static func random() -> NVSKeys {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<64).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return NVSKeys(encryptionKey: Array(bytes[0..<32]), tweakKey: Array(bytes[32..<64]))
    }

    /// The HMAC-based scheme: eky = HMAC-SHA256(hmacKey, 5A5ABEAE×8), tky = HMAC-SHA256(hmacKey, A5A5DECE×8)
    /// (`nvs_sec_provider`'s EKEY_SEED/TKEY_SEED as little-endian words).
    public static func derived(fromHMACKey hmacKey: [UInt8]) -> NVSKeys {
        let key = SymmetricKey(data: hmacKey)
        let eSeed = Array(repeating: [0x5A, 0x5A, 0xBE, 0xAE] as [UInt8], count: 8).flatMap { $0 }
        let tSeed = Array(repeating: [0xA5, 0xA5, 0xDE, 0xCE] as [UInt8], count: 8).flatMap { $0 }
        return NVSKeys(encryptionKey: Array(HMAC<SHA256>.authenticationCode(for: eSeed, using: key)),
                       tweakKey: Array(HMAC<SHA256>.authenticationCode(for: tSeed, using: key)))
    }

    /// The 4096-byte key file / nvs_keys partition image.
    public var keyFile: [UInt8] {
        var out = encryptionKey + tweakKey
        out.append(contentsOf: withUnsafeBytes(of: NVSChecksum.checksum(out).littleEndian, Array.init))
        out.append(contentsOf: repeatElement(0xFF, count: Self.keyFileSize - out.count))
        return out
    }

    /// Whether a key file's CRC matches its keys (the device checks it; 0.3.0 does not).
    public static func keyFileCRCIsValid(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 68 else { return false }
        let stored = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[64 + $1]) << (8 * UInt32($1)) }
        return stored == NVSChecksum.checksum(bytes[0..<64])
    }
}

/// XTS-AES-256 of NVS entries: each 32-byte entry is one data unit whose tweak is its byte address relative to
/// the partition (little-endian, 16 bytes). Page headers, bitmaps and empty entries stay plaintext.
///
/// swift-crypto has no XTS mode, so XTS (IEEE P1619) is composed here from AES on independent blocks (`AESBlocks`):
/// T = AES(tky, tweak); Cᵢ = AES(eky, Pᵢ ⊕ T) ⊕ T; T ·= α.
public enum NVSEncryption {
    /// Encrypts every entry the page bitmaps mark as used (written or erased) in every page that has a header.
    /// For generator images this is exactly the set of entries 0.3.0 encrypts while writing.
    public static func encrypt(_ image: [UInt8], keys: NVSKeys) -> [UInt8] {
        var units: [Int] = []
        forEachPage(image) { page in
            guard !NVSFormat.isErased(image[page..<(page + 32)]) else { return }
            for i in 0..<NVSFormat.entriesPerPage where entryState(image, page: page, entry: i) != .empty {
                units.append(page + NVSFormat.firstEntryOffset + i * NVSFormat.entrySize)
            }
        }
        var out = image
        XTSCipher(keys).apply(&out, units: units, encrypt: true)
        return out
    }

    /// Decrypts every entry slot that is not all FF, each with its own address as tweak. 0.3.0 `decrypt` numbers the
    /// non-FF slots of a page consecutively instead; for every image the generator writes (used entries are
    /// contiguous from entry 0) both give the same bytes, and for device images only this one is right.
    public static func decrypt(_ image: [UInt8], keys: NVSKeys) -> [UInt8] {
        var units: [Int] = []
        forEachPage(image) { page in
            for i in 0..<NVSFormat.entriesPerPage {
                let offset = page + NVSFormat.firstEntryOffset + i * NVSFormat.entrySize
                if !NVSFormat.isErased(image[offset..<(offset + 32)]) { units.append(offset) }
            }
        }
        var out = image
        XTSCipher(keys).apply(&out, units: units, encrypt: false)
        return out
    }

    /// Decrypts one 32-byte entry read from `address` of the partition.
    public static func decryptEntry(_ entry: ArraySlice<UInt8>, address: Int, keys: NVSKeys) -> [UInt8] {
        var buffer = Array(entry)
        XTSCipher(keys).apply(&buffer, units: [0], base: address, encrypt: false)
        return buffer
    }

    static func forEachPage(_ image: [UInt8], _ body: (Int) -> Void) {
        var page = 0
        while page + NVSFormat.pageSize <= image.count {
            body(page)
            page += NVSFormat.pageSize
        }
    }


    static func entryState(_ image: [UInt8], page: Int, entry: Int) -> NVSFormat.EntryState {
        let bit = entry * 2
        let raw = (image[page + NVSFormat.bitmapOffset + bit / 8] >> UInt8(bit % 8)) & 3
        return NVSFormat.EntryState(rawValue: raw)!
    }
}

/// XTS-AES-256 over 32-byte data units.
struct XTSCipher {
    static let unitSize = 32
    let dataKey: SymmetricKey
    let tweakKey: SymmetricKey

    init(_ keys: NVSKeys) {
        dataKey = SymmetricKey(data: keys.encryptionKey)
        tweakKey = SymmetricKey(data: keys.tweakKey)
    }

    /// Transforms the units `buffer[offset..<offset+32]` for every offset of `units` in place, each with its partition
    /// address `base + offset` as tweak. All tweaks, then all data blocks, go through AES in one batch each; the
    /// masking works on 64-bit words (a byte loop here cost more than the AES).
    func apply(_ buffer: inout [UInt8], units: [Int], base: Int = 0, encrypt: Bool) {
        guard !units.isEmpty else { return }
        let size = Self.unitSize
        // Tweak inputs: the address as a 16-byte little-endian number.
        var tweakInputs = [UInt8](repeating: 0, count: 16 * units.count)
        tweakInputs.withUnsafeMutableBytes { raw in
            for (k, offset) in units.enumerated() { raw.storeBytes(of: UInt64(base + offset).littleEndian, toByteOffset: 16 * k, as: UInt64.self) }
        }
        let tweaks = AESBlocks.encrypt(tweakInputs, key: tweakKey)
        // Each unit's two blocks are masked with T and T·α.
        var masks = [UInt8](repeating: 0, count: size * units.count)
        var blocks = masks
        tweaks.withUnsafeBytes { tweak in
            masks.withUnsafeMutableBytes { mask in
                for k in units.indices {
                    let low = UInt64(littleEndian: tweak.loadUnaligned(fromByteOffset: 16 * k, as: UInt64.self))
                    let high = UInt64(littleEndian: tweak.loadUnaligned(fromByteOffset: 16 * k + 8, as: UInt64.self))
                    // T·α in GF(2^128) with T a little-endian number: shift left by one, fold the carry in as 0x87.
                    let words = [low, high, low << 1 ^ (high >> 63) * 0x87, high << 1 | low >> 63]
                    for (j, word) in words.enumerated() { mask.storeBytes(of: word.littleEndian, toByteOffset: size * k + 8 * j, as: UInt64.self) }
                }
            }
        }
        Self.xor(&blocks, from: buffer, at: units, with: masks, unitSize: size, intoUnits: false)
        let transformed = encrypt ? AESBlocks.encrypt(blocks, key: dataKey) : AESBlocks.decrypt(blocks, key: dataKey)
        Self.xor(&buffer, from: transformed, at: units, with: masks, unitSize: size, intoUnits: true)
    }

    /// Packs (`intoUnits` false: `target[k] = source[units[k]] ⊕ masks[k]`) or unpacks (true: `target[units[k]] =
    /// source[k] ⊕ masks[k]`) the units, a 64-bit word at a time.
    private static func xor(_ target: inout [UInt8], from source: [UInt8], at units: [Int], with masks: [UInt8], unitSize: Int,
                            intoUnits: Bool) {
        target.withUnsafeMutableBytes { out in
            source.withUnsafeBytes { input in
                masks.withUnsafeBytes { mask in
                    for (k, offset) in units.enumerated() {
                        let packed = unitSize * k
                        for word in stride(from: 0, to: unitSize, by: 8) {
                            let value = input.loadUnaligned(fromByteOffset: (intoUnits ? packed : offset) + word, as: UInt64.self)
                                ^ mask.loadUnaligned(fromByteOffset: packed + word, as: UInt64.self)
                            out.storeBytes(of: value, toByteOffset: (intoUnits ? offset : packed) + word, as: UInt64.self)
                        }
                    }
                }
            }
        }
    }
}
