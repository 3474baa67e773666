import Foundation
import Testing

@Suite struct NVSInspectCLITests {
    @Test(arguments: ["nvs/nvs_all_types.bin", "nvs/nvs_v1.bin", "nvs/wifi/nvs_station_data.bin", "nvs/wifi/nvs_ap_data.bin", "esp-at-mfg_nvs/mfg_nvs_pip0.3.0-gen_24K.bin", "mfg/out/bin/dev-2.bin"])
    func csvOutputRegeneratesTheImage(_ path: String) throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["nvs", "inspect", CLI.fixture(path), "--csv"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty, "\(r.stderr)")
        try r.stdout.write(to: URL(fileURLWithPath: dir + "/back.csv"))
        let expected = try CLI.read(CLI.fixture(path))
        // The first line is a comment naming SIZE and --version.
        let header = r.stdoutText.split(separator: "\n")[0].split(separator: " ")
        let g = try CLI.run(["nvs", "generate", dir + "/back.csv", dir + "/back.bin", String(header[5]), "--version", String(header[7])])
        #expect(g.exitCode == 0, "\(g.stderr)")
        #expect(try CLI.read(dir + "/back.bin") == expected)
    }

    @Test func entriesThatCannotRoundTripAreNamedOnStderrAndInTheCSV() throws {
        let r = try CLI.run(["nvs", "inspect", CLI.fixture("nvs/wifi/ap_hex_ssid.bin"), "--csv"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stderr.contains("does not regenerate the image byte for byte"), "\(r.stderr)")
        #expect(r.stderr.contains("'ap.pmk_info'") && r.stderr.contains("PBKDF2"))
        #expect(r.stdoutText.contains("#   page 0 entry") && r.stdoutText.contains("'ap.pmk_info'"), "\(r.stdoutText)")
    }

    @Test func textAndJSONOfAnEncryptedImage() throws {
        let key = CLI.fixture("nvs/nvs_keys_fixed.bin")
        let text = try CLI.run(["nvs", "inspect", CLI.fixture("nvs/nvs_all_types_enc.bin"), "--key", key])
        #expect(text.exitCode == 0)
        #expect(text.stdoutText.contains("u32 'after_big' = 3405691582"), "\(text.stdoutText)")
        #expect(text.stdoutText.contains("no problems found"))
        let json = try CLI.run(["nvs", "inspect", CLI.fixture("nvs/nvs_all_types_enc.bin"), "--key", key, "--json"])
        let object = try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any]
        #expect(object?["size"] as? Int == 0x6000)
        #expect((object?["problems"] as? [Any])?.isEmpty == true)
    }

    @Test func damagedImagesAreReportedNotFatal() throws {
        let dir = try CLI.temporaryDirectory()
        var bytes = try CLI.read(CLI.fixture("nvs/nvs_all_types.bin"))
        bytes[64 + 32 * 3 + 25] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: dir + "/bad.bin"))
        let r = try CLI.run(["nvs", "inspect", dir + "/bad.bin"])
        #expect(r.exitCode == 0)
        #expect(r.stdoutText.contains("'u16_val'") && r.stdoutText.contains("[entry CRC BAD]"))
        let wrongSize = try CLI.run(["nvs", "inspect", CLI.fixture("nvs/nvs_all_types.csv")])
        #expect(wrongSize.exitCode == 2)
    }
}
