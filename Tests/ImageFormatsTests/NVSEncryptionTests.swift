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

    /// Many pages, every entry used: the batched XTS gives each entry its own tweak (a slip in the batching would
    /// show as entries that decrypt to the wrong bytes), and decrypting gives the plaintext back.
    @Test func aLargeImageRoundTripsEntryByEntry() throws {
        var csv = "key,type,encoding,value\nstorage,namespace,,\n"
        for i in 0..<2_000 { csv += "k\(i),data,u32,\(i * 7919)\n" }
        let plain = try NVSGenerator.generate(csv: Array(csv.utf8), size: 0x20000) { path throws(FormatError) in
            throw FormatError("nvs.file", path)
        }.image
        let keys = NVSKeys(encryptionKey: Array(0..<32), tweakKey: Array(32..<64))
        let encrypted = NVSEncryption.encrypt(plain, keys: keys)
        #expect(NVSEncryption.decrypt(encrypted, keys: keys) == plain)
        // Entry by entry, against the one-entry path; the last used entry of the last used page included.
        let used = stride(from: 0, to: plain.count, by: 32).filter { at in
            at % 4096 >= 64 && plain[at..<(at + 32)].contains { $0 != 0xFF }
        }
        #expect(used.count > 2_000)
        for at in used {
            #expect(NVSEncryption.decryptEntry(encrypted[at..<(at + 32)], address: at, keys: keys) == Array(plain[at..<(at + 32)]),
                    "entry at 0x\(String(at, radix: 16))")
        }
    }

    /// ap.pmk_info is 100 zero bytes and PBKDF2-HMAC-SHA1(passwd, ssid, 4096, 32); the expected keys are Python's
    /// `hashlib.pbkdf2_hmac('sha1', …)`, which esp-idf-nvs-partition-gen calls.
    @Test func accessPointPMKMatchesPythonsPBKDF2() {
        let cases: [(ssid: String, password: String, pmk: String)] = [
            ("", "", "5c622913020b8e2ddd9a58552396ccebd10eb57121a346f127d13c9006434cc0"),
            ("esp-at", "pässwörd", "b56f49bbf5844a89c45c40cd00b5158f0e417686252055b97d820fb8e946d4f8"),
        ]
        for c in cases {
            let info = NVSWiFiEntries.pmkInfo(ssid: c.ssid, password: c.password)
            #expect(info.count == 132 && info.prefix(100).allSatisfy { $0 == 0 })
            #expect(info.suffix(32).map { String(format2: $0) }.joined() == c.pmk, "ssid '\(c.ssid)'")
        }
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
