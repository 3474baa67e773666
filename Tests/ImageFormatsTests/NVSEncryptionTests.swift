import ImageFormats
import Testing

@Suite struct NVSEncryptionTests {
    @Test func encryptsLikeTheReferenceGeneratorAndDecryptsBack() throws {
        let keys = try NVSKeys(keyFile: try Fixtures.bytes("nvs/nvs_keys_fixed.bin"))
        let plain = try Fixtures.bytes("nvs/nvs_all_types.bin")
        let encrypted = try Fixtures.bytes("nvs/nvs_all_types_enc.bin")
        #expect(NVSEncryption.encrypt(plain, keys: keys) == encrypted)
        #expect(NVSEncryption.decrypt(encrypted, keys: keys) == plain)
    }

    @Test func workedExampleOfTheFirstEntry() throws {
        let keys = NVSKeys(encryptionKey: Array(0..<32), tweakKey: Array(32..<64))
        let encrypted = try Fixtures.bytes("nvs/nvs_all_types_enc.bin")
        let plain = NVSEncryption.decryptEntry(encrypted[64..<96], address: 0x40, keys: keys)
        #expect(plain.map { String(format2: $0) }.joined() == "000101ff09a9500773746f7261676500000000000000000001ffffffffffffff")
    }

    @Test func keyFileLayoutAndHMACDerivation() throws {
        let fixed = try Fixtures.bytes("nvs/nvs_keys_fixed.bin")
        let keys = try NVSKeys(keyFile: fixed)
        #expect(keys.keyFile == fixed)
        #expect(NVSKeys.keyFileCRCIsValid(fixed))
        let derived = NVSKeys.derived(fromHMACKey: try Fixtures.bytes("nvs/hmac_key_fixed.bin"))
        #expect(derived.keyFile == (try Fixtures.bytes("nvs/nvs_keys_hmac_derived.bin")))
        #expect(throws: FormatError("nvs.key_file", "")) { try NVSKeys(keyFile: [1, 2, 3]) }
    }

    @Test func randomKeysDiffer() {
        #expect(NVSKeys.random() != NVSKeys.random())
    }
}

extension String {
    init(format2 byte: UInt8) {
        let s = String(byte, radix: 16)
        self = s.count == 1 ? "0" + s : s
    }
}
