import Foundation
import Testing

/// The demo factory image of scripts/demo.sh, built with the tool: ESP32 bootloader at 0x1000, esp-at's main table
/// (no MD5) at 0x8000, at_customize.bin (MD5) at 0x20000, ble_data, server cert/key/CA, factory_param at 0x30000 and
/// an app with an appended SHA-256 at 0x100000, padded to 4 MB.
enum DemoFactoryImage {
    static func build(in dir: String, mfgNVS: Bool = false) throws -> String {
        let ex = CLI.fixture("esp-at/worked-example"), combine = CLI.fixture("merge/combine/in")
        func run(_ arguments: [String]) throws {
            let r = try CLI.run(arguments)
            try #require(r.exitCode == 0, "\(arguments): \(r.stderr)")
        }
        try run(["partition-table", CLI.fixture("partition/at_customize/in/partitions_at_master_esp32.csv"), "-o", dir + "/partition-table.bin",
                 "--disable-md5sum", "--flash-size", "4MB"])
        var pairs = ["0x1000", CLI.fixture("images/bootloader_esp32.bin"), "0x8000", dir + "/partition-table.bin",
                     "0xf000", combine + "/phy_init_data.bin", "0x10000", combine + "/ota_data_initial.bin",
                     "0x100000", CLI.fixture("images/esp_idf_blink_esp32s2.bin")]
        if mfgNVS {
            // esp-at v3.1+: everything in one mfg_nvs NVS partition at 0x21000.
            try run(["partition-table", CLI.fixture("partition/at_customize/in/at_customize_master_esp32.csv"), "-o", dir + "/at_customize.bin"])
            pairs += ["0x20000", dir + "/at_customize.bin", "0x21000", CLI.fixture("esp-at-mfg_nvs/mfg_nvs_pip0.3.0-gen_24K.bin")]
        } else {
            try run(["partition-table", ex + "/at_customize.csv", "-o", dir + "/at_customize.bin"])
            try run(["ble-service", "build", ex + "/ble_services.csv", "-o", dir + "/ble_data.bin"])
            try run(["pki", "build", "-o", dir + "/server_cert.bin", "cert", ex + "/server.crt"])
            try run(["pki", "build", "-o", dir + "/server_key.bin", "key", ex + "/server.key"])
            try run(["pki", "build", "-o", dir + "/server_ca.bin", "ca", ex + "/ca.crt"])
            try run(["factory-param", "build", "--types", ex + "/factory_param_type.csv", "--data", ex + "/factory_param_data.csv",
                     "--platform", "PLATFORM_ESP32", "--module", "WROOM-32", "-o", dir + "/factory_param.bin"])
            pairs += ["0x20000", dir + "/at_customize.bin", "0x21000", dir + "/ble_data.bin", "0x24000", dir + "/server_cert.bin",
                      "0x26000", dir + "/server_key.bin", "0x28000", dir + "/server_ca.bin", "0x30000", dir + "/factory_param.bin"]
        }
        let image = dir + "/factory.bin"
        try run(["merge-bin", "--chip", "esp32", "-o", image, "--pad-to-size", "4MB", "-fm", "dio", "-ff", "40m", "-fs", "4MB"] + pairs)
        return image
    }

    /// The integrity records the image carries, read back with the inspect commands: the at_customize MD5, the
    /// bootloader's and the app's SHA-256 and checksums.
    static func expectRecordsValid(_ image: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let table = try CLI.run(["partition-table", image, "--partition", "at_customize", "--json"])
        #expect(table.exitCode == 0, "\(table.stderr)", sourceLocation: sourceLocation)
        let md5 = (try JSONSerialization.jsonObject(with: table.stdout) as? [String: Any])?["md5"] as? [String: Any]
        #expect(md5?["valid"] as? Bool == true, sourceLocation: sourceLocation)
        // The bootloader (old layout, no SHA-256) has a checksum; the app a checksum and an appended SHA-256.
        for (where_, digest) in [(["--offset", "0x1000"], false), (["--partition", "ota_0"], true)] {
            let info = try CLI.run(["image-info", image] + where_)
            #expect(info.exitCode == 0, "\(info.stderr)", sourceLocation: sourceLocation)
            #expect(info.stdoutText.contains("Checksum: ") && info.stdoutText.contains(" (valid)"), "\(info.stdoutText)", sourceLocation: sourceLocation)
            #expect(info.stdoutText.contains("Validation hash: ") == digest, sourceLocation: sourceLocation)
            #expect(!info.stdoutText.contains("invalid"), sourceLocation: sourceLocation)
        }
    }
}

@Suite struct FactoryParamSetTests {
    @Test func onlyTheNamedFieldsChange() throws {
        let dir = try CLI.temporaryDirectory()
        let image = try DemoFactoryImage.build(in: dir)
        let before = [UInt8](try CLI.read(image))
        let r = try CLI.run(["factory-param", "set", image, "uart_tx_pin=5", "uart_rx_pin=4", "uart_baudrate=921600", "country_code=US",
                             "uart_cts_pin=-1", "tx_max_power=0x3c"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdoutText.contains("uart_baudrate: 115200 -> 921600"), "\(r.stdoutText)")
        // The whole image: the original with exactly these bytes of factory_param (0x30000, layout v3) replaced.
        var expected = before
        let base = 0x30000
        expected[base + 16] = 5; expected[base + 17] = 4; expected[base + 18] = 0xFF; expected[base + 4] = 60
        expected.replaceSubrange((base + 12)..<(base + 16), with: [0x00, 0x10, 0x0E, 0x00])
        expected.replaceSubrange((base + 8)..<(base + 12), with: Array("US".utf8) + [0, 0])
        #expect([UInt8](try CLI.read(image)) == expected)
        try DemoFactoryImage.expectRecordsValid(image)
        let json = try CLI.run(["factory-param", "inspect", image, "--partition", "factory_param", "--json"])
        let fields = ((try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])?["fields"] as? [[String: Any]]) ?? []
        let values = Dictionary(uniqueKeysWithValues: fields.map { ($0["name"] as! String, "\($0["value"]!)") })
        #expect(values["uart_baudrate"] == "921600" && values["uart_tx_pin"] == "5" && values["country_code"] == "US")
        #expect(values["uart_rts_pin"] == "14" && values["module_name"] == "WROOM-32")
    }

    @Test func writesToOutputAndLeavesTheImageAlone() throws {
        let dir = try CLI.temporaryDirectory()
        let image = try DemoFactoryImage.build(in: dir)
        let before = try CLI.read(image)
        let r = try CLI.run(["factory-param", "set", image, "uart_baudrate=460800", "-o", dir + "/out.bin", "--json"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(try CLI.read(image) == before)
        let after = [UInt8](try CLI.read(dir + "/out.bin"))
        #expect(zip([UInt8](before), after).filter { $0 != $1 }.count == 2)  // 115200 -> 460800: bytes 1 and 2 of the field
        let changes = (try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])?["changes"] as? [[String: Any]]
        #expect(changes?.first?["offset"] as? Int == 0x3000C)
    }

    @Test(arguments: [
        (["nosuch=1"], "there is no field 'nosuch'"),
        (["uart_tx_pin=300"], "does not fit in 1 byte"),
        (["magic_flag=0"], "not changed by set"),
        (["version=2"], "not changed by set"),
        (["country_code=TOOLONG"], "the field holds 4"),
        (["uart_baudrate=010"], "octal"),
        (["uart_tx_pin=1", "uart_tx_pin=2"], "given twice"),
        (["uart_tx_pin=5", "--partition", "ble_data"], "bad magic"),
        (["uart_tx_pin=5", "--partition", "nosuch"], "no partition named 'nosuch'"),
        (["uart_tx_pin=5", "--table-offset", "0x9000"], "no partition table (AA 50) at 0x9000"),
    ] as [([String], String)])
    func refusalsLeaveTheFileUntouched(_ c: ([String], String)) throws {
        let dir = try CLI.temporaryDirectory()
        let image = try DemoFactoryImage.build(in: dir)
        let before = try CLI.read(image)
        let r = try CLI.run(["factory-param", "set", image] + c.0)
        #expect(r.exitCode == 2, "\(r.stderr)")
        // A file too large for the partition, or not what it holds, is the file's fault and names it (issue 16).
        #expect((r.stderr.hasPrefix("error: \(image): ") || r.stderr.hasPrefix("error: \(dir)/\(c.0[1]): ")) && r.stderr.contains(c.1), "\(r.stderr)")
        #expect(try CLI.read(image) == before)
        let withOutput = try CLI.run(["factory-param", "set", image, "-o", dir + "/out.bin"] + c.0)
        #expect(withOutput.exitCode == 2)
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.bin"))
    }

    @Test func mfgNVSEntriesAreRewrittenInPlace() throws {
        let dir = try CLI.temporaryDirectory()
        let image = try DemoFactoryImage.build(in: dir, mfgNVS: true)
        let before = [UInt8](try CLI.read(image))
        let r = try CLI.run(["factory-param", "set", image, "uart_baudrate=921600", "uart_tx_pin=5", "module_name=MY-MOD"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdoutText.contains("namespace 'factory_param' of mfg_nvs at 0x21000"), "\(r.stdoutText)")
        let after = [UInt8](try CLI.read(image))
        let changed = after.indices.filter { after[$0] != before[$0] }
        // Only inside the three entries (header + data entries) in mfg_nvs's first page.
        #expect(!changed.isEmpty && changed.allSatisfy { (0x21000 + 64)..<(0x21000 + 4096) ~= $0 }, "\(changed.map { String($0, radix: 16) })")
        let inspect = try CLI.run(["nvs", "inspect", image, "--partition", "mfg_nvs"])
        #expect(inspect.exitCode == 0)
        #expect(inspect.stdoutText.contains("i32 'uart_baudrate' = 921600") && inspect.stdoutText.contains("i32 'uart_tx_pin' = 5"))
        #expect(inspect.stdoutText.contains("'module_name' span 2 size 7 = \"MY-MOD\""), "\(inspect.stdoutText)")
        #expect(inspect.stdoutText.contains("no problems found"))
        try DemoFactoryImage.expectRecordsValid(image)
        // A string that needs more entries cannot be rewritten in place.
        let long = try CLI.run(["factory-param", "set", image, "module_name=A-MODULE-NAME-OF-THIRTY-TWO-BYTES!"])
        #expect(long.exitCode == 2 && long.stderr.contains("cannot be rewritten in place"), "\(long.stderr)")
        #expect([UInt8](try CLI.read(image)) == after)
    }

    @Test func aBareFactoryParamBin() throws {
        let dir = try CLI.temporaryDirectory()
        let ex = CLI.fixture("esp-at/worked-example")
        _ = try CLI.run(["factory-param", "build", "--types", ex + "/factory_param_type.csv", "--data", ex + "/factory_param_data.csv",
                         "--platform", "PLATFORM_ESP32", "--module", "WROOM-32", "-o", dir + "/fp.bin"])
        let r = try CLI.run(["factory-param", "set", dir + "/fp.bin", "--types", ex + "/factory_param_type.csv", "start_channel=3"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect([UInt8](try CLI.read(dir + "/fp.bin"))[6] == 3)
    }
}

@Suite struct ImageReplaceTests {
    @Test func onlyThePartitionChanges() throws {
        let dir = try CLI.temporaryDirectory()
        let image = try DemoFactoryImage.build(in: dir)
        let before = [UInt8](try CLI.read(image))
        try Data("index,uuid_len,uuid,perm,val_max_len,val_cur_len,value\n0,16,0x2800,0x01,2,2,A002\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/one.csv"))
        _ = try CLI.run(["ble-service", "build", dir + "/one.csv", "-o", dir + "/one.bin"])
        let file = [UInt8](try CLI.read(dir + "/one.bin"))
        let r = try CLI.run(["image", "replace", image, "ble_data", dir + "/one.bin"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        // The whole image: the original with 0x21000..0x24000 = the file, then 0xFF.
        var expected = before
        expected.replaceSubrange(0x21000..<0x24000, with: file + [UInt8](repeating: 0xFF, count: 0x3000 - file.count))
        #expect([UInt8](try CLI.read(image)) == expected)
        try DemoFactoryImage.expectRecordsValid(image)
        let inspect = try CLI.run(["ble-service", "inspect", image, "--partition", "ble_data", "--json"])
        #expect(inspect.exitCode == 0 && inspect.stdoutText.contains("\"A002\""), "\(inspect.stderr)")
    }

    @Test func anAppWithItsOwnDigest() throws {
        let dir = try CLI.temporaryDirectory()
        let image = try DemoFactoryImage.build(in: dir)
        let r = try CLI.run(["image", "replace", image, "ota_1", CLI.fixture("images/esp_idf_blink_esp32s2.bin"), "-o", dir + "/two.bin"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        let info = try CLI.run(["image-info", dir + "/two.bin", "--partition", "ota_1"])
        #expect(info.stdoutText.contains("Project name: blink") && !info.stdoutText.contains("invalid"))
    }

    @Test(arguments: [
        (["ble_data", "server_cert.bin"], "it should be ble_data (27 95 at byte 2), but it looks like an AT PKI partition"),
        (["server_cert", "ble_data.bin"], "it should be a PKI bin (F1 F1)"),
        (["factory_param", "server_key.bin"], "it should be factory_param (FC FC), but it looks like an AT PKI partition"),
        (["ota_0", "ble_data.bin"], "it should be an application image"),
        (["nvs", "ble_data.bin"], "whole number of 4096-byte pages"),
        (["factory_param", "server_cert.bin", "--force"], "holds 4096"),
        (["nosuch", "ble_data.bin"], "no partition named 'nosuch'"),
        (["ble_data", "big.bin"], "partition 'ble_data' holds 12288"),
    ] as [([String], String)])
    func refusalsLeaveTheFileUntouched(_ c: ([String], String)) throws {
        let dir = try CLI.temporaryDirectory()
        let image = try DemoFactoryImage.build(in: dir)
        try Data(repeating: 0x41, count: 0x3001).write(to: URL(fileURLWithPath: dir + "/big.bin"))
        var server = [UInt8](try CLI.read(dir + "/server_cert.bin"))
        if c.0.contains("--force") { server += [UInt8](repeating: 0, count: 4096) }  // too large even when forced
        try Data(server).write(to: URL(fileURLWithPath: dir + "/server_cert.bin"))
        let before = try CLI.read(image)
        let arguments = [image, c.0[0], dir + "/" + c.0[1]] + c.0.dropFirst(2)
        let r = try CLI.run(["image", "replace"] + arguments)
        #expect(r.exitCode == 2, "\(r.stderr)")
        // A file too large for the partition, or not what it holds, is the file's fault and names it (issue 16).
        #expect((r.stderr.hasPrefix("error: \(image): ") || r.stderr.hasPrefix("error: \(dir)/\(c.0[1]): ")) && r.stderr.contains(c.1), "\(r.stderr)")
        #expect(try CLI.read(image) == before)
        let withOutput = try CLI.run(["image", "replace"] + arguments + ["-o", dir + "/out.bin"])
        #expect(withOutput.exitCode == 2)
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.bin"))
    }

    @Test func anImageShorterThanThePartition() throws {
        let dir = try CLI.temporaryDirectory()
        let image = try DemoFactoryImage.build(in: dir)
        try Data(try CLI.read(image).prefix(0x22000)).write(to: URL(fileURLWithPath: dir + "/short.bin"))
        let r = try CLI.run(["image", "replace", dir + "/short.bin", "ble_data", dir + "/ble_data.bin"])
        #expect(r.exitCode == 2 && r.stderr.contains("ends past the image's"), "\(r.stderr)")
    }
}

@Suite struct InspectInsideAnImageTests {
    @Test func everyInspectCommandReadsAPartOfTheImage() throws {
        let dir = try CLI.temporaryDirectory()
        let image = try DemoFactoryImage.build(in: dir)
        // The same answer as for the separate file, by --partition and by --offset.
        let cases: [([String], String, String, String)] = [
            (["ble-service", "inspect"], "ble_data.bin", "ble_data", "0x21000"),
            (["pki", "inspect"], "server_cert.bin", "server_cert", "0x24000"),
            (["factory-param", "inspect"], "factory_param.bin", "factory_param", "0x30000"),
            (["partition-table"], "at_customize.bin", "at_customize", "0x20000"),
        ]
        for (command, file, partition, offset) in cases {
            let alone = try CLI.run(command + [dir + "/" + file, "--json"])
            let byName = try CLI.run(command + [image, "--partition", partition, "--json"])
            let byOffset = try CLI.run(command + [image, "--offset", offset, "--json"])
            #expect(alone.exitCode == 0 && byName.exitCode == 0 && byOffset.exitCode == 0, "\(command): \(byName.stderr) \(byOffset.stderr)")
            // A partition read from flash ends in erased bytes, which the decoders count; everything else is the same.
            func facts(_ data: Data) -> String {
                String(decoding: data, as: UTF8.self).split(separator: "\n").filter { !$0.contains("trailing_erased_bytes") }.joined(separator: "\n")
            }
            #expect(facts(byName.stdout) == facts(alone.stdout) && facts(byOffset.stdout) == facts(alone.stdout), "\(command)")
        }
        let table = try CLI.run(["partition-table", image, "--offset", "0x8000"])
        #expect(table.stdoutText == (try CLI.run(["partition-table", dir + "/partition-table.bin"])).stdoutText)
        let nvs = try CLI.run(["nvs", "inspect", image, "--partition", "nvs"])
        #expect(nvs.exitCode == 0 && nvs.stdoutText.contains("page 0 @0x0: blank"), "\(nvs.stderr)")
        let app = try CLI.run(["image-info", image, "--partition", "ota_0"])
        let separate = try CLI.run(["image-info", CLI.fixture("images/esp_idf_blink_esp32s2.bin")])
        // The partition is 1.5 MB: everything but the first line (the size) is the same.
        #expect(app.stdoutText.split(separator: "\n").dropFirst() == separate.stdoutText.split(separator: "\n").dropFirst())
        let bootloader = try CLI.run(["image-info", image, "--offset", "0x1000"])
        #expect(bootloader.stdoutText.contains("Detected image type: ESP32\n"))
    }

    @Test func errorsNameTheImageAndTheAbsoluteOffset() throws {
        let dir = try CLI.temporaryDirectory()
        let image = try DemoFactoryImage.build(in: dir)
        let r = try CLI.run(["ble-service", "inspect", image, "--partition", "server_cert"])
        #expect(r.exitCode == 2)
        #expect(r.stderr.hasPrefix("error: \(image) (partition 'server_cert' at 0x24000): "), "\(r.stderr)")
        let both = try CLI.run(["image-info", image, "--partition", "ota_0", "--offset", "0x1000"])
        #expect(both.exitCode == 64)
        let past = try CLI.run(["image-info", image, "--offset", "0x500000"])
        #expect(past.exitCode == 2 && past.stderr.contains("past the end"))
    }
}
