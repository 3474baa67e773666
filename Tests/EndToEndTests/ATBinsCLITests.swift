import Foundation
import Testing

private func jsonObject(_ data: Data) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

private func write(_ text: String, in dir: String, _ name: String) throws -> String {
    let path = dir + "/" + name
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// Runs a failing build and checks the CLI conventions: exit 2, `error: FILE:LINE: field 'X':` naming the row and
/// column, no new output, and an existing output left untouched.
private func expectRefusal(_ arguments: (String) -> [String], output: String = "out.bin", file: String, line: Int?, field: String?,
                           message: String, exitCode: Int32 = 2, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let dir = try CLI.temporaryDirectory()
    let fresh = try CLI.run(arguments(dir + "/" + output))
    #expect(fresh.exitCode == exitCode, "\(fresh.stderr)", sourceLocation: sourceLocation)
    var prefix = "error: \(file)"
    if let line { prefix += ":\(line)" }
    prefix += ": "
    if let field { prefix += "field '\(field)': " }
    #expect(fresh.stderr.hasPrefix(prefix), "\(fresh.stderr)", sourceLocation: sourceLocation)
    #expect(fresh.stderr.contains(message), "\(fresh.stderr)", sourceLocation: sourceLocation)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "output left behind", sourceLocation: sourceLocation)
    // An existing output is not touched.
    try Data("keep".utf8).write(to: URL(fileURLWithPath: dir + "/" + output))
    _ = try CLI.run(arguments(dir + "/" + output))
    #expect(try CLI.read(dir + "/" + output) == Data("keep".utf8), sourceLocation: sourceLocation)
}

@Suite struct BLEServiceCLITests {
    static let header = "index,uuid_len,uuid,perm,val_max_len,val_cur_len,value\n"
    static let good = "0,16,0x2800,0x01,2,2,A002\n"

    @Test(arguments: [
        ("0,16,0x12345,0x01,2,2,A002\n", 2, "uuid", "does not fit in uuid_len 16"),
        ("0,24,0x2800,0x01,2,2,A002\n", 2, "uuid_len", "must be 16, 32 or 128"),
        ("0,16,0x2800,0x08,2,2,A002\n", 2, "perm", "bits the firmware does not define"),
        ("0,16,0x2800,0x01,2,3,A002\n", 2, "val_cur_len", "larger than val_max_len"),
        ("0,16,0x2800,0x01,4,3,A002\n", 2, "val_cur_len", "more than the value's 2 byte(s)"),
        ("0,16,0x2800,0x01,1,1,A002\n", 2, "value", "more than val_max_len 1"),
        (good + "2,16,0x2803,0x01,1,1,02\n", 3, "index", "out of order; expected 1"),
        ("0,16,0x2800,0x01,2,2,0xA002\n", 2, "value", "plain hex digits"),
        ("0,16,0x2800,0x01,600,2,A002\n", 2, "val_max_len", "Bluetooth limit"),
        ("0,16,,0x01,2,2,A002\n", 2, "uuid", "no default"),
        ("0,0x10,0x2800,0x01,2,2,A002\n", 2, "uuid_len", "not a decimal number"),
    ] as [(String, Int, String, String)])
    func refusesWhatBLEServicePyGetsWrong(_ c: (String, Int, String, String)) throws {
        let dir = try CLI.temporaryDirectory()
        let csv = try write(Self.header + c.0, in: dir, "in.csv")
        try expectRefusal({ ["ble-service", "build", csv, "-o", $0] }, file: csv, line: c.1, field: c.2, message: c.3)
    }

    /// What the firmware takes (it uses val_cur_len bytes of the value) builds, with a warning naming the row;
    /// --strict refuses it and writes nothing.
    @Test(arguments: [
        ("index,uuid_len,uuid,perm,val_max_len,value\n0,16,0x2800,0x01,2,A002\n", "val_cur_len (not given, so 0)"),
        ("index,uuid_len,uuid,perm,val_max_len,val_cur_len,value\n0,16,0x2800,0x01,2,1,A002\n", "val_cur_len (1)"),
    ])
    func shortOrMissingCurrentLengthIsAWarningUnlessStrict(_ c: (String, String)) throws {
        let dir = try CLI.temporaryDirectory()
        let csv = try write(c.0, in: dir, "in.csv")
        let built = try CLI.run(["ble-service", "build", csv, "-o", dir + "/ble_data.bin"])
        #expect(built.exitCode == 0, "\(built.stderr)")
        #expect(built.stderr.contains("warning: \(csv):2: field 'val_cur_len': row 0: \(c.1)"), "\(built.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/ble_data.bin"))
        let strict = try CLI.run(["ble-service", "build", csv, "-o", dir + "/strict.bin", "--strict"])
        #expect(strict.exitCode == 2)
        #expect(strict.stderr.contains("error: \(csv):2: field 'val_cur_len': row 0:"), "\(strict.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/strict.bin"))
    }

    @Test func refusesRowsAfterTheEmptyRow() throws {
        let dir = try CLI.temporaryDirectory()
        let csv = try write(Self.header + Self.good + ",,,,,,\n1,16,0x2803,0x01,1,1,02\n", in: dir, "in.csv")
        try expectRefusal({ ["ble-service", "build", csv, "-o", $0] }, file: csv, line: 4, field: nil, message: "row after the empty row on line 3")
    }

    @Test func refusesUnknownColumns() throws {
        let dir = try CLI.temporaryDirectory()
        let csv = try write("index,uuid_len,uuid,perm,val_max_len,val_cur_len,value,extra\n0,16,0x2800,0x01,2,2,A002,1\n", in: dir, "in.csv")
        try expectRefusal({ ["ble-service", "build", csv, "-o", $0] }, file: csv, line: 1, field: "extra", message: "unknown column")
    }

    @Test func refusesATableLargerThanThePartition() throws {
        let csv = CLI.fixture("esp-at/ble_data/in/example.csv")
        try expectRefusal({ ["ble-service", "build", csv, "-o", $0, "--partition-size", "4K"] }, file: csv, line: nil, field: nil,
                          message: "6487 bytes, larger than the 4096-byte partition")
        let dir = try CLI.temporaryDirectory()
        #expect(try CLI.run(["ble-service", "build", csv, "-o", dir + "/ok.bin"]).exitCode == 0)  // 12K default
    }

    @Test(arguments: ["one", "GattServiceExample", "example"])
    func buildInspectRoundTrip(_ name: String) throws {
        let dir = try CLI.temporaryDirectory()
        let csv = CLI.fixture("esp-at/ble_data/in/\(name).csv")
        let build = try CLI.run(["ble-service", "build", csv, "-o", dir + "/ble_data.bin"])
        #expect(build.exitCode == 0, "\(build.stderr)")
        #expect(try CLI.read(dir + "/ble_data.bin") == CLI.read(CLI.fixture("esp-at/ble_data/\(name).bin")))
        let inspect = try CLI.run(["ble-service", "inspect", dir + "/ble_data.bin", "--json"])
        #expect(inspect.exitCode == 0)
        let attributes = try #require(try jsonObject(inspect.stdout)["attributes"] as? [[String: Any]])
        // The same facts as the CSV rows (read independently here: hex uuid/perm/value, decimal lengths, defaults).
        let text = try String(contentsOfFile: csv, encoding: .utf8)
        let rows = text.split(whereSeparator: \.isNewline).dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            .filter { !$0.allSatisfy(\.isEmpty) }
        #expect(attributes.count == rows.count)
        for (a, r) in zip(attributes, rows) {
            func hex(_ s: String) -> String { s.hasPrefix("0x") ? String(s.dropFirst(2)) : s }
            #expect(a["index"] as? Int == Int(r[0]))
            #expect(a["uuid_len"] as? Int == Int(r[1]))
            #expect(UInt64(a["uuid"] as! String, radix: 16) == UInt64(hex(r[2]).suffix(16), radix: 16) || r[1] == "128")
            #expect(a["perm"] as? Int == Int(hex(r[3]), radix: 16))
            #expect(a["val_max_len"] as? Int == (r[4].isEmpty ? 512 : Int(r[4])))
            #expect(a["val_cur_len"] as? Int == (r[5].isEmpty ? 0 : Int(r[5])))
            let value = r[6].uppercased()
            #expect(a["value"] as? String == (value.count % 2 == 0 ? value : String(value.dropLast()) + "0" + String(value.last!)))
        }
    }

    @Test func inspectRefusesBadMagic() throws {
        let dir = try CLI.temporaryDirectory()
        var bytes = try CLI.read(CLI.fixture("esp-at/ble_data/one.bin"))
        bytes[2] = 0
        try bytes.write(to: URL(fileURLWithPath: dir + "/bad.bin"))
        let result = try CLI.run(["ble-service", "inspect", dir + "/bad.bin"])
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("bad magic"))
    }
}

@Suite struct PKICLITests {
    @Test func buildInspectExtractRoundTrip() throws {
        let dir = try CLI.temporaryDirectory()
        let inputs = [("cert", "server.crt"), ("key", "server.key"), ("ca", "ca.crt"), ("cert", "client.der"), ("key", "client.key")]
        let args = inputs.flatMap { [$0.0, CLI.fixture("esp-at/pki/in/" + $0.1)] }
        let build = try CLI.run(["pki", "build", "-o", dir + "/pki.bin"] + args)
        #expect(build.exitCode == 0, "\(build.stderr)")
        // client.der (cert 1) and client.key (key 1) belong together, as do cert 0 / key 0: no mismatch warning.
        #expect(!build.stderr.contains("does not belong"))
        let inspect = try CLI.run(["pki", "inspect", dir + "/pki.bin", "--json", "--extract", dir + "/out"])
        #expect(inspect.exitCode == 0, "\(inspect.stderr)")
        let items = try #require(try jsonObject(inspect.stdout)["items"] as? [[String: Any]])
        // Grouped by type in order of first appearance, ids per type.
        #expect(items.map { "\($0["type"]!) \($0["id"]!)" } == ["cert 0", "cert 1", "key 0", "key 1", "ca 0"])
        let order = [0, 3, 1, 4, 2]
        for (item, input) in zip(items, order.map { inputs[$0] }) {
            let original = try CLI.read(CLI.fixture("esp-at/pki/in/" + input.1))
            #expect(item["length"] as? Int == original.count)
            #expect(try CLI.read(item["file"] as! String) == original)
            #expect(item["key_type"] as? String == "EC P-256")
        }
        #expect(items[0]["subject"] is String && items[0]["not_valid_after"] is String)
        #expect(items[1]["encoding"] as? String == "DER")
        // Rebuilding from the extracted files gives the same bin.
        let rebuilt = try CLI.run(["pki", "build", "-o", dir + "/again.bin"] + items.flatMap { [$0["type"] as! String, $0["file"] as! String] })
        #expect(rebuilt.exitCode == 0)
        #expect(try CLI.read(dir + "/again.bin") == CLI.read(dir + "/pki.bin"))
    }

    @Test func warnsWhenCertAndKeyDoNotMatch() throws {
        let dir = try CLI.temporaryDirectory()
        let result = try CLI.run(["pki", "build", "-o", dir + "/x.bin", "cert", CLI.fixture("esp-at/pki/in/server.crt"),
                                  "key", CLI.fixture("esp-at/pki/in/client.key")])
        #expect(result.exitCode == 0)
        #expect(result.stderr.contains("warning: cert 0 and key 0 have the same id but the key does not belong to the certificate"))
    }

    @Test func refusesItemsOver65535Bytes() throws {
        let dir = try CLI.temporaryDirectory()
        let big = dir + "/big.pem"
        try Data(repeating: 0x41, count: 70000).write(to: URL(fileURLWithPath: big))
        try expectRefusal({ ["pki", "build", "-o", $0, "cert", big] }, file: big, line: nil, field: nil, message: "at most 65535")
    }

    @Test func usageErrors() throws {
        let dir = try CLI.temporaryDirectory()
        let crt = CLI.fixture("esp-at/pki/in/server.crt")
        #expect(try CLI.run(["pki", "build", "-o", dir + "/x.bin", "pem", crt]).exitCode == 64)
        #expect(try CLI.run(["pki", "build", "-o", dir + "/x.bin", "cert"]).exitCode == 64)
        #expect(try CLI.run(["pki", "build", "-o", dir + "/x.bin", "cert", dir + "/missing.crt"]).exitCode == 74)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test(arguments: ["server_cert", "server_key", "server_ca", "client_cert_2items", "client_cert_der", "mixed",
                      "mixed_py2_v1.0", "legacy_cert_typed_ca", "tiny_hello", "tiny_two_ca"])
    func inspectsEveryVector(_ name: String) throws {
        let result = try CLI.run(["pki", "inspect", CLI.fixture("esp-at/pki/\(name).bin"), "--json"])
        #expect(result.exitCode == 0)
        let doc = try jsonObject(result.stdout)
        let items = try #require(doc["items"] as? [[String: Any]])
        #expect(doc["count"] as? Int == items.count)
        #expect(items.allSatisfy { ($0["content"] as? String) != "unknown" } || name.hasPrefix("tiny"))
    }
}

@Suite struct FactoryParamCLITests {
    static let types24 = CLI.fixture("esp-at/factory_param/in/factory_param_type_v2.4.csv")
    static let data24 = CLI.fixture("esp-at/factory_param/in/factory_param_data_v2.4.csv")
    static let header = "platform,module_name,description,magic_flag,version,reserved1,tx_max_power,uart_port,start_channel,channel_num,country_code,uart_baudrate,uart_tx_pin,uart_rx_pin,uart_cts_pin,uart_rts_pin,tx_control_pin,rx_control_pin\n"

    @Test(arguments: [
        ("PLATFORM_ESP32,M,,0xfcfc,3,0,300,1,1,13,CN,115200,17,16,15,14,-1,-1\n", "tx_max_power", "does not fit in 1 byte(s)"),
        ("PLATFORM_ESP32,M,,0xfcfc,3,0,78,1,1,13,CHINA,115200,17,16,15,14,-1,-1\n", "country_code", "is 5 bytes; the field holds 4"),
        ("PLATFORM_ESP32,M,,0xfcfc,3,0,78,1,01,13,CN,115200,17,16,15,14,-1,-1\n", "start_channel", "read it as octal"),
        ("PLATFORM_ESP32,M,,0xfcfc,3,0,78,1,1,13,CN,,17,16,15,14,-1,-1\n", "uart_baudrate", "the cell is empty"),
        ("PLATFORM_ESP32,M,,0xfcfc,3,0,78,1,1,13,CN,0x1000000000,17,16,15,14,-1,-1\n", "uart_baudrate", "does not fit in 4 byte(s)"),
        ("PLATFORM_ESP32,M,,0xfcfc,3,0,78,1,1,13,CN,115200,-129,16,15,14,-1,-1\n", "uart_tx_pin", "does not fit"),
    ] as [(String, String, String)])
    func refusesWhatTheGeneratorGetsWrong(_ c: (String, String, String)) throws {
        let dir = try CLI.temporaryDirectory()
        let data = try write(Self.header + c.0, in: dir, "data.csv")
        try expectRefusal({ ["factory-param", "build", "--types", Self.types24, "--data", data, "--module", "M", "-o", $0] },
                          file: data, line: 2, field: c.1, message: c.2)
    }

    @Test func refusesAnUnknownModule() throws {
        try expectRefusal({ ["factory-param", "build", "--types", Self.types24, "--data", Self.data24, "--module", "WROOM-99", "-o", $0] },
                          file: Self.data24, line: nil, field: nil, message: "no row for module 'WROOM-99'")
    }

    @Test func refusesAnAmbiguousModule() throws {
        try expectRefusal({ ["factory-param", "build", "--types", Self.types24, "--data", Self.data24, "--module", "MINI-1", "-o", $0] },
                          file: Self.data24, line: 10, field: nil, message: "more than one row")
    }

    @Test func octalVectorNeedsTheLegacyFlag() throws {
        try expectRefusal({ ["factory-param", "build", "--types", Self.types24, "--data", Self.data24, "--module", "MY_MODULE", "-o", $0] },
                          file: Self.data24, line: 13, field: "start_channel", message: "octal")
        let dir = try CLI.temporaryDirectory()
        let result = try CLI.run(["factory-param", "build", "--types", Self.types24, "--data", Self.data24, "--module", "MY_MODULE",
                                  "--legacy-octal", "-o", dir + "/fp.bin"])
        #expect(result.exitCode == 0)
        #expect(try CLI.read(dir + "/fp.bin") == CLI.read(CLI.fixture("esp-at/factory_param/v2.4_factory_param_MY_MODULE.bin")))
    }

    @Test(arguments: [("WROOM-32", "ESP32", "v2.4"), ("MINI-1", "PLATFORM_ESP32", "v2.4"), ("ESP32-SDIO", "esp32", "v2.4"), ("WROOM-32", "", "v1.2")])
    func buildInspectRoundTrip(_ c: (String, String, String)) throws {
        let dir = try CLI.temporaryDirectory()
        let types = CLI.fixture("esp-at/factory_param/in/factory_param_type_\(c.2).csv")
        let data = CLI.fixture("esp-at/factory_param/in/factory_param_data_\(c.2).csv")
        let build = try CLI.run(["factory-param", "build", "--types", types, "--data", data, "--module", c.0, "-o", dir + "/fp.bin"]
                                + (c.1.isEmpty ? [] : ["--platform", c.1]))
        #expect(build.exitCode == 0, "\(build.stderr)")
        #expect(try CLI.read(dir + "/fp.bin") == CLI.read(CLI.fixture("esp-at/factory_param/\(c.2)_factory_param_\(c.0).bin")))
        for extra in [[], ["--types", types]] {
            let inspect = try CLI.run(["factory-param", "inspect", dir + "/fp.bin", "--json"] + extra)
            #expect(inspect.exitCode == 0)
            let fields = try #require(try jsonObject(inspect.stdout)["fields"] as? [[String: Any]])
            // Every stored data cell reads back (integers compared modulo the field width).
            let lines = try String(contentsOfFile: data, encoding: .utf8).split(whereSeparator: \.isNewline)
            let header = lines[0].split(separator: ",").map(String.init)
            let moduleColumn = header.firstIndex(of: "module_name") ?? 0
            let rows: [[String]] = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let match: [String]? = rows.first { (r: [String]) -> Bool in r[moduleColumn] == c.0 && (c.1.isEmpty || r[0] == "PLATFORM_ESP32") }
            let row = try #require(match)
            var compared = 0
            for f in fields {
                guard let name = f["name"] as? String, let column = header.firstIndex(of: name) else { continue }
                if c.2 == "v1.2" && column == 0 { continue }
                let cell = row[column]
                if let unsigned = f["unsigned"] as? Int, let size = f["size"] as? Int {
                    let v = cell.hasPrefix("0x") ? Int(cell.dropFirst(2), radix: 16)! : Int(cell)!
                    #expect(unsigned == ((v % (1 << (8 * size))) + (1 << (8 * size))) % (1 << (8 * size)), "\(name)")
                } else {
                    #expect(f["value"] as? String == cell, "\(name)")
                }
                compared += 1
            }
            #expect(compared >= 10)
        }
    }

    @Test func allWritesOneFilePerRow() throws {
        let dir = try CLI.temporaryDirectory()
        let result = try CLI.run(["factory-param", "build", "--types", Self.types24, "--data", Self.data24, "--platform", "ESP32C3",
                                  "--all", "-o", dir + "/out"])
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/out").sorted()
                == ["factory_param_ESP32C3-SPI.bin", "factory_param_ESP32C3_QCLOUD.bin", "factory_param_MINI-1.bin"])
        // Without --platform, MINI-1 is on two rows and the names would collide: refused, nothing written.
        let clash = try CLI.run(["factory-param", "build", "--types", Self.types24, "--data", Self.data24, "--all", "-o", dir + "/all"])
        #expect(clash.exitCode == 2)
        #expect(!FileManager.default.fileExists(atPath: dir + "/all"))
    }
}

/// The README's worked example: the ESP32-WROOM-32 AT v2.4 customization set from Fixtures/esp-at/worked-example.
@Suite struct WorkedExampleTests {
    @Test func buildsTheSameBinsAsTheOriginalTools() throws {
        let dir = try CLI.temporaryDirectory()
        let cwd = CLI.fixture("esp-at/worked-example")
        let steps: [[String]] = [
            ["partition-table", "at_customize.csv", "-o", dir + "/at_customize.bin"],
            ["ble-service", "build", "ble_services.csv", "-o", dir + "/ble_data.bin"],
            ["pki", "build", "-o", dir + "/server_cert.bin", "cert", "server.crt"],
            ["pki", "build", "-o", dir + "/server_key.bin", "key", "server.key"],
            ["pki", "build", "-o", dir + "/server_ca.bin", "ca", "ca.crt"],
            ["factory-param", "build", "--types", "factory_param_type.csv", "--data", "factory_param_data.csv",
             "--platform", "PLATFORM_ESP32", "--module", "WROOM-32", "-o", dir + "/factory_param.bin"],
        ]
        for step in steps {
            let result = try CLI.run(step, cwd: cwd)
            #expect(result.exitCode == 0, "\(step): \(result.stderr)")
            #expect(result.stderr.isEmpty, "\(step): \(result.stderr)")
        }
        let expected = [
            ("at_customize.bin", "partition/at_customize/at_customize_v2.4_esp32.bin"),
            ("ble_data.bin", "esp-at/ble_data/example.bin"),
            ("server_cert.bin", "esp-at/pki/server_cert.bin"),
            ("server_key.bin", "esp-at/pki/server_key.bin"),
            ("server_ca.bin", "esp-at/pki/server_ca.bin"),
            ("factory_param.bin", "esp-at/factory_param/v2.4_factory_param_WROOM-32.bin"),
        ]
        for (mine, theirs) in expected {
            #expect(try CLI.read(dir + "/" + mine) == CLI.read(CLI.fixture(theirs)), "\(mine)")
        }
    }
}
