import Foundation
import Testing

/// `espflash-swift nvs` run as a user would run it, from the fixture folder (file rows are relative to the CWD).
@Suite struct NVSCLITests {
    static let nvsFolder = CLI.fixture("nvs")

    @Test func generateWritesTheReferenceBytes() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["nvs", "generate", "nvs_all_types.csv", dir + "/out.bin", "0x6000"], cwd: Self.nvsFolder)
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(try CLI.read(dir + "/out.bin") == CLI.read(CLI.fixture("nvs/nvs_all_types.bin")))
        let v1 = try CLI.run(["nvs", "generate", "nvs_v1.csv", "sub/v1.bin", "0x3000", "--version", "1", "--outdir", dir], cwd: Self.nvsFolder)
        #expect(v1.exitCode == 0, "\(v1.stderr)")
        #expect(try CLI.read(dir + "/sub/v1.bin") == CLI.read(CLI.fixture("nvs/nvs_v1.bin")))
    }

    static let errorCases = ["n01_u8_out_of_range", "n03_key_too_long", "n04_hex_prefix_int", "n07_hex2bin_badchar", "n08_bad_base64",
                             "n09_unsupported_encoding", "n12_file_missing", "n14_no_header", "n18_string_4000", "n20_too_big_for_size"]

    @Test(arguments: errorCases)
    func badInputGivesALocatedErrorAndNoOutput(_ name: String) throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir + "/out.bin"
        let r = try CLI.run(["nvs", "generate", "errors/\(name).csv", out, "0x3000"], cwd: Self.nvsFolder)
        #expect(r.exitCode == 2)
        #expect(r.stderr.hasPrefix("error: errors/\(name).csv:"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func anExistingOutputIsLeftUntouchedOnError() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir + "/out.bin"
        try Data("keep".utf8).write(to: URL(fileURLWithPath: out))
        let r = try CLI.run(["nvs", "generate", "errors/n01_u8_out_of_range.csv", out, "0x3000"], cwd: Self.nvsFolder)
        #expect(r.exitCode == 2)
        #expect(try CLI.read(out) == Data("keep".utf8))
    }

    @Test func badSizeOrExtensionIsAUsageError() throws {
        let dir = try CLI.temporaryDirectory()
        for args in [["nvs_minimal.csv", dir + "/o.bin", "abc"], ["nvs_minimal.csv", dir + "/o.img", "0x3000"]] {
            let r = try CLI.run(["nvs", "generate"] + args, cwd: Self.nvsFolder)
            #expect(r.exitCode == 64, "\(r.stderr)")
        }
        let r = try CLI.run(["nvs", "generate", "nvs_minimal.csv", dir + "/o.bin", "0x3100"], cwd: Self.nvsFolder)
        #expect(r.exitCode == 2 && r.stderr.contains("multiple of 4096"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func encryptDecryptAndGenerateKey() throws {
        let dir = try CLI.temporaryDirectory()
        let e = try CLI.run(["nvs", "encrypt", "nvs_all_types.csv", dir + "/enc.bin", "0x6000", "--inputkey", "nvs_keys_fixed.bin"], cwd: Self.nvsFolder)
        #expect(e.exitCode == 0, "\(e.stderr)")
        #expect(try CLI.read(dir + "/enc.bin") == CLI.read(CLI.fixture("nvs/nvs_all_types_enc.bin")))
        let d = try CLI.run(["nvs", "decrypt", dir + "/enc.bin", "nvs_keys_fixed.bin", dir + "/plain.bin"], cwd: Self.nvsFolder)
        #expect(d.exitCode == 0, "\(d.stderr)")
        #expect(try CLI.read(dir + "/plain.bin") == CLI.read(CLI.fixture("nvs/nvs_all_types.bin")))

        let g = try CLI.run(["nvs", "encrypt", "nvs_all_types.csv", "enc2.bin", "0x6000", "--keygen", "--keyfile", "mine", "--outdir", dir], cwd: Self.nvsFolder)
        #expect(g.exitCode == 0, "\(g.stderr)")
        let key = try CLI.read(dir + "/keys/mine.bin")
        #expect(key.count == 4096)
        let d2 = try CLI.run(["nvs", "decrypt", dir + "/enc2.bin", dir + "/keys/mine.bin", dir + "/plain2.bin"])
        #expect(d2.exitCode == 0)
        #expect(try CLI.read(dir + "/plain2.bin") == CLI.read(CLI.fixture("nvs/nvs_all_types.bin")))

        let k = try CLI.run(["nvs", "generate-key", "--key_protect_hmac", "--kp_hmac_inputkey", "hmac_key_fixed.bin", "--keyfile", "h.bin", "--outdir", dir],
                            cwd: Self.nvsFolder)
        #expect(k.exitCode == 0, "\(k.stderr)")
        #expect(try CLI.read(dir + "/keys/h.bin") == CLI.read(CLI.fixture("nvs/nvs_keys_hmac_derived.bin")))
    }

    @Test func encryptWithABadCSVWritesNoKeyFile() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["nvs", "encrypt", "errors/n01_u8_out_of_range.csv", "e.bin", "0x3000", "--keygen", "--outdir", dir], cwd: Self.nvsFolder)
        #expect(r.exitCode == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func espATMfgNVSMatchesTheReferenceImage() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["nvs", "generate", "mfg_nvs.csv", dir + "/mfg_nvs.bin", "0x6000"], cwd: CLI.fixture("esp-at-mfg_nvs"))
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(try CLI.read(dir + "/mfg_nvs.bin") == CLI.read(CLI.fixture("esp-at-mfg_nvs/mfg_nvs_pip0.3.0-gen_24K.bin")))
    }
}
