import Foundation
import Testing

/// `nvs batch` against the mfg_gen.py vectors (Fixtures/mfg), run from that folder as mfg_gen was.
@Suite struct NVSBatchCLITests {
    static let folder = CLI.fixture("mfg")

    @Test func plainAndEncryptedImagesAndIntermediateCSVsMatchMfgGen() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["nvs", "batch", "--conf", "mfg_config.csv", "--values", "mfg_values.csv", "--size", "0x3000", "--prefix", "dev",
                             "--outdir", dir + "/out"], cwd: Self.folder)
        #expect(r.exitCode == 0, "\(r.stderr)")
        let e = try CLI.run(["nvs", "batch", "--conf", "mfg_config.csv", "--values", "mfg_values.csv", "--size", "0x3000", "--prefix", "dev",
                             "--outdir", dir + "/enc", "--inputkey", "../nvs/nvs_keys_fixed.bin"], cwd: Self.folder)
        #expect(e.exitCode == 0, "\(e.stderr)")
        for i in 1...3 {
            #expect(try CLI.read(dir + "/out/bin/dev-\(i).bin") == CLI.read(CLI.fixture("mfg/out/bin/dev-\(i).bin")))
            #expect(try CLI.read(dir + "/out/csv/dev-\(i).csv") == CLI.read(CLI.fixture("mfg/out/csv/dev-\(i).csv")))
            #expect(try CLI.read(dir + "/enc/bin/dev-\(i).bin") == CLI.read(CLI.fixture("mfg/out_enc/bin/dev-\(i).bin")))
        }
        // A second run into the same folder refuses instead of overwriting.
        let again = try CLI.run(["nvs", "batch", "--conf", "mfg_config.csv", "--values", "mfg_values.csv", "--size", "0x3000", "--prefix", "dev",
                                 "--outdir", dir + "/out"], cwd: Self.folder)
        #expect(again.exitCode != 0 && again.stderr.contains("already exists"))
    }

    @Test func fileIDAndPrefixNumberNameTheFilesLikeMfgGen() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["nvs", "batch", "--conf", "mfg_config.csv", "--values", "mfg_values.csv", "--size", "0x3000", "--prefix", "dev",
                             "--fileid", "serial_no", "--prefix-num", "7", "4", "--keygen", "--outdir", dir], cwd: Self.folder)
        #expect(r.exitCode == 0, "\(r.stderr)")
        let expected = try String(contentsOfFile: CLI.fixture("mfg/out_fileid_names.txt"), encoding: .utf8)
        for name in expected.split(separator: "\n") where name.hasSuffix(".bin") || name.hasSuffix(".csv") {
            let kind = name.hasSuffix(".bin") ? "bin" : "csv"
            #expect(FileManager.default.fileExists(atPath: "\(dir)/\(kind)/\(name)"), "\(name)")
        }
        // Each device gets its own key, and its image decrypts with it to the plain image.
        let key = dir + "/keys/keys-dev-0007-SN0001.bin"
        let d = try CLI.run(["nvs", "decrypt", dir + "/bin/dev-0007-SN0001.bin", key, dir + "/plain.bin"])
        #expect(d.exitCode == 0, "\(d.stderr)")
        #expect(try CLI.read(dir + "/plain.bin") == CLI.read(CLI.fixture("mfg/out/bin/dev-1.bin")))
        #expect(try CLI.read(key) != CLI.read(dir + "/keys/keys-dev-0008-SN0002.bin"))
    }

    static let errorCases: [(String, String, String)] = [
        ("m01", "m01_conf.csv:2:", "i16"), ("m02", "m02_vals.csv:3:", "values"), ("m03", "m03_conf.csv:3:", "'c'"),
        ("m04", "m04_conf.csv:2:", "3 fields"), ("m06", "m06_conf.csv:2:", "'b'"), ("m08", "m08_conf.csv:2:", "datatype"),
    ]

    @Test(arguments: errorCases)
    func badInputsAreRefusedWithTheLineAndNothingIsWritten(_ c: (String, String, String)) throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["nvs", "batch", "--conf", "\(c.0)_conf.csv", "--values", "\(c.0)_vals.csv", "--size", "0x3000", "--prefix", "p",
                             "--outdir", dir], cwd: Self.folder + "/errors")
        #expect(r.exitCode == 2)
        #expect(r.stderr.hasPrefix("error: \(c.1)") && r.stderr.contains(c.2), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        let m05 = try CLI.run(["nvs", "batch", "--conf", "m05_conf.txt", "--values", "m05_vals.csv", "--size", "0x3000", "--outdir", dir],
                              cwd: Self.folder + "/errors")
        #expect(m05.exitCode == 64)
    }

    @Test func aBadValueInALaterRowWritesNoImageAtAll() throws {
        let dir = try CLI.temporaryDirectory()
        try "ns,namespace,\nn,data,u8\n".write(toFile: dir + "/c.csv", atomically: true, encoding: .utf8)
        try "n\n1\n2\n300\n".write(toFile: dir + "/v.csv", atomically: true, encoding: .utf8)
        let r = try CLI.run(["nvs", "batch", "--conf", "c.csv", "--values", "v.csv", "--size", "0x3000", "--outdir", "out"], cwd: dir)
        #expect(r.exitCode == 2)
        #expect(r.stderr.hasPrefix("error: v.csv:4:") && r.stderr.contains("out of range"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
    }
}
