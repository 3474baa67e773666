/// The corpus description: per command that reads a file, its valid inputs (Fixtures/malformed) and the ways each is
/// broken. Generic families (empty, garbage, truncation, BOM, CRLF, invalid UTF-8, unreadable paths, outputs) are
/// added by `CorpusCommand.cases()`; the probes here break one field at a time.
enum CorpusCommands {
    static let huge = ["99999999999999999999999", "0xFFFFFFFFFFFFFFFFFFFF"]

    static let all: [CorpusCommand] = [
        partitionCSV, partitionBinary, nvsGenerate, nvsEncrypt, nvsDecrypt, nvsInspect, nvsBatch, factoryParamBuild,
        factoryParamInspect, factoryParamInspectTypes, factoryParamSet, bleBuild, bleInspect, pkiBuild, pkiInspect, mergeBin, mergeBinConfig,
        imageInfo, imageReplace, atTestLayout, atTestLayoutCSV,
    ] + deviceCommands

    // MARK: partition-table

    static let partitionCSV = CorpusCommand(
        name: "partition-table csv", arguments: ["partition-table", "{csv}", "-o", "{out}"],
        inputs: [CorpusInput("csv", file: "table.csv", fixture: "malformed/partition-table/table.csv", text: true,
                             probes: partitionProbes, empty: nil, garbage: Expect(2, .anyLine), endless: true)],
        output: "out.bin")

    static var partitionProbes: [Probe] {
        var probes: [Probe] = []
        for line in [2, 4, 5] {
            probes += Probe.cells(line: line, column: 0, field: "Name", values: ["abcdefghijklmnopq", "nv\u{0}s"])
            probes += Probe.cells(line: line, column: 1, field: "Type",
                                  values: ["nonsense", "0x100", "-1", "", "app\u{0}", "0x4g"] + huge)
            probes += Probe.cells(line: line, column: 2, field: "SubType", values: ["bogus", "0x100", "-2", "0xZZ"] + huge)
            probes += Probe.cells(line: line, column: 3, field: "Offset", values: ["0xZZ", "12Q", "-0x1000", "0x8000"] + huge)
            probes += Probe.cells(line: line, column: 4, field: "Size", values: ["12Q", "", "0x", "1.5M"] + huge)
            probes += Probe.cells(line: line, column: 5, field: "Flags", values: ["secret", "encrypted:bogus", "readonly;encrypted"])
        }
        probes += Probe.cells(line: 3, column: 0, field: nil, values: ["nvs"], reportedLine: 3)
        probes += [Probe(name: "unknown-variable", change: .line(3, "$NOPE, data, ota, 0xf000, 0x2000,"), expect: Expect(2, .line(3))),
                   Probe(name: "quote-unterminated", change: .line(4, "\"phy_init, data, phy, 0x11000, 0x1000,"),
                         expect: Expect(2, .line(4, field: "Name"))),
                   Probe(name: "two-otadata", change: .insert(8, "otadata2, data, ota, , 0x2000,"), expect: Expect(2, .none))]
        return probes
    }

    static let partitionBinary = CorpusCommand(
        name: "partition-table binary", arguments: ["partition-table", "{bin}", "-o", "{out}"],
        inputs: [CorpusInput("bin", file: "table.bin", fixture: "malformed/partition-table/table.bin", text: false,
                             probes: binaryTableProbes(entries: 6), empty: nil, garbage: Expect(2, .none), truncated: Expect(2, .place),
                             truncations: [1, 7, 33, 100, 7 * 32, 7 * 32 + 5],
                             flips: .init(range: 2..<(6 * 32), count: 50, expect: Expect(2, .byte())))],
        output: "out.csv")

    /// Probes for a binary table with `entries` entries and an MD5 record.
    static func binaryTableProbes(entries: Int) -> [Probe] {
        var probes: [Probe] = []
        // The MD5 record follows the entries; an entry changed after it was made breaks it.
        for entry in 0..<entries {
            let at = entry * 32
            probes += Probe.patches([(at + 2, [0x77]), (at + 4, [0x10]), (at + 12, Array("x".utf8)), (at + 28, [0x04])])
        }
        let md5 = entries * 32
        probes += Probe.patches([(md5 + 31, [0x00]), (md5, [0x00]), (md5 + 1, [0x00])])  // the digest, the record's EB EB
        // Entry magic AA 50 broken at each entry after the first (the first makes the file text).
        for entry in 1..<entries { probes += Probe.patches([(entry * 32 + 1, [0x51])]) }
        probes += [Probe(name: "no-end-marker", change: .content([0xAA, 0x50] + Array(repeating: 0, count: 30)), expect: Expect(2, .byte())),
                   Probe(name: "bad-label", change: .patch(offset: 12, bytes: [0xC3, 0x28]), expect: Expect(2, .byte(field: "Name")))]
        return probes
    }

    // MARK: nvs

    static let nvsCSVInput = CorpusInput("csv", file: "nvs.csv", fixture: "malformed/nvs/nvs.csv", text: true, probes: nvsProbes,
                                         garbage: Expect(2, .anyLine), endless: true)

    static var nvsProbes: [Probe] {
        var probes: [Probe] = []
        probes += Probe.cells(line: 3, column: 3, field: "value", values: ["256", "-1", "0x100", "abc", ""] + huge)
        probes += Probe.cells(line: 4, column: 3, field: "value", values: ["-32769", "32768", "1e3"] + huge)
        probes += Probe.cells(line: 5, column: 3, field: "value", values: ["4294967296", "-5", "0xZZ"])
        probes += Probe.cells(line: 7, column: 3, field: "value", values: ["0g", "abc", "0"])
        probes += Probe.cells(line: 8, column: 3, field: "value", values: ["AAE", "A"])
        probes += Probe.cells(line: 3, column: 2, field: "encoding", values: ["u9", "HEX2BIN", "STRING", "float", "blob_fill(2;0xZZ)"])
        probes += Probe.cells(line: 3, column: 0, field: "key", values: ["abcdefghijklmnop", "k\u{0}y"])
        probes += Probe.cells(line: 2, column: 0, field: "key", values: ["namespace_name_too_long"])
        probes += Probe.cells(line: 6, column: 3, field: "value", values: [String(repeating: "x", count: 4000)])
        probes += Probe.cells(line: 1, column: 0, field: nil, values: ["kee"], reportedLine: 1)
        for line in 3...8 {
            probes += Probe.cells(line: line, column: 2, field: "encoding", values: ["u128", "bin", "hex", "base32"])
            probes += Probe.cells(line: line, column: 0, field: "key", values: ["this_key_is_too_long_for_nvs"])
        }
        probes += Probe.cells(line: 5, column: 3, field: "value", values: ["-1", "0x1FFFFFFFF", "1.0", "4e9"])
        probes += Probe.cells(line: 3, column: 3, field: "value", values: ["1.5", "0b1", "--1", "+-1", "0x", "1e2", "one"])
        probes += Probe.cells(line: 4, column: 3, field: "value", values: ["-0x8001", "0x8000", "+32768", "1.5", "i16"])
        probes += Probe.cells(line: 7, column: 3, field: "value", values: ["0", "abc", "0x0g", "0 1", "00 11"])
        probes += Probe.cells(line: 8, column: 3, field: "value", values: ["A===", "AB=C", "A", "ABCDE"])
        probes += Probe.cells(line: 7, column: 3, field: "value", values: ["001", "0x00", "zz"])
        probes += Probe.cells(line: 4, column: 3, field: "value", values: ["", "0x10", "--1"])
        probes += [Probe(name: "file-row", change: .line(6, "f,file,binary,missing.bin"), expect: Expect(2, .line(6, field: "value"))),
                   Probe(name: "no-value-column", change: .line(3, "u8key,data,u8"), expect: Expect(2, .line(3)))]
        return probes
    }

    /// The NVS commands take only .bin outputs: an output named like the CSV input is a usage error.
    static let nvsGenerate = CorpusCommand(
        name: "nvs generate", arguments: ["nvs", "generate", "{csv}", "{out}", "0x6000"], inputs: [nvsCSVInput], output: "out.bin",
        outputEqualsInput: Expect(64, .none, names: "nvs.csv"), outputInMissingFolder: createsFolders)

    /// esp-idf-nvs-partition-gen creates the output's folders, and so do these commands.
    static let createsFolders = Expect(0, .none)

    static let nvsKeyInput = CorpusInput("key", file: "keys.bin", fixture: "malformed/nvs/keys.bin", text: false,
                                         probes: (Array(stride(from: 0, to: 64, by: 3)) + [63]).map {
                                             Probe(name: "short-\($0)", change: .truncate($0), expect: Expect(2, .none))
                                         } + [64, 65, 100, 8192].map {
                                             // Only the first 64 bytes count (0.3.0 --inputkey); the rest is not checked.
                                             Probe(name: "long-\($0)", change: .content([UInt8](repeating: 0x3C, count: $0)), expect: Expect(0, .none))
                                         },
                                         garbage: nil)

    static let nvsEncrypt = CorpusCommand(
        name: "nvs encrypt", arguments: ["nvs", "encrypt", "{csv}", "{out}", "0x6000", "--inputkey", "{key}"],
        inputs: [nvsCSVInput, nvsKeyInput], output: "out.bin", outputEqualsInput: Expect(64, .none, names: "nvs.csv"),
        outputInMissingFolder: createsFolders)

    static let nvsImageSizes = ([1, 2, 31, 32, 100, 1000, 2048, 4095, 4097, 4100, 6000, 8191, 8193, 10_000, 12_287, 12_289, 16_383,
                                 16_385, 20_000, 24_575, 24_577, 30_000] + stride(from: 333, to: 24_576, by: 733).map { $0 }).map {
        Probe(name: "size-\($0)", change: .content([UInt8](repeating: 0xFF, count: $0)), expect: Expect(2, .none))
    }

    static let nvsDecrypt = CorpusCommand(
        name: "nvs decrypt", arguments: ["nvs", "decrypt", "{image}", "{key}", "{out}"],
        inputs: [CorpusInput("image", file: "enc.bin", fixture: "malformed/nvs/nvs_enc.bin", text: false, probes: nvsImageSizes,
                             garbage: Expect(2, .none), truncated: Expect(2, .none), truncations: [1, 7, 12_289]),
                 nvsKeyInput],
        output: "out.bin", outputInMissingFolder: createsFolders)

    /// Damaged pages are read and reported, not refused (devices write such images); only a size that is no whole
    /// number of pages is an error.
    static var nvsInspectProbes: [Probe] {
        var probes = nvsImageSizes
        for (n, offset) in [0, 4, 8, 28, 32, 40, 64, 80, 96, 100, 120, 200, 500, 1000, 2000, 4000, 4096, 4100, 4128, 4200, 8192, 8200,
                            12_288, 16_384, 20_480, 24_000].enumerated() {
            probes.append(Probe(name: "damaged-\(n)", change: .patch(offset: offset, bytes: [0x5A, 0x00, 0x13]), expect: Expect(0, .none)))
        }
        return probes
    }

    static let nvsInspect = CorpusCommand(
        name: "nvs inspect", arguments: ["nvs", "inspect", "{image}", "--key", "{key}", "--csv"],
        inputs: [CorpusInput("image", file: "enc.bin", fixture: "malformed/nvs/nvs_enc.bin", text: false, probes: nvsInspectProbes,
                             garbage: Expect(2, .none), truncated: Expect(2, .none), truncations: [1, 7, 12_289]),
                 nvsKeyInput],
        output: nil)

    static let nvsBatch = CorpusCommand(
        name: "nvs batch", arguments: ["nvs", "batch", "--conf", "{conf}", "--values", "{values}", "--size", "0x3000", "--outdir", "{D}/out"],
        inputs: [
            CorpusInput("conf", file: "config.csv", fixture: "malformed/nvs/config.csv", text: true, probes: batchConfigProbes,
                        garbage: Expect(2, .anyLine)),
            CorpusInput("values", file: "values.csv", fixture: "malformed/nvs/values.csv", text: true, probes: batchValueProbes,
                        garbage: nil),
        ],
        output: nil)

    static var batchConfigProbes: [Probe] {
        (2...5).flatMap { Probe.cells(line: $0, column: 1, field: "type", values: ["blob", "DATA", "", "file "]) }
            + (2...5).flatMap { Probe.cells(line: $0, column: 2, field: "encoding", values: ["u9", "U32", "float", "hex"]) }
            + [Probe(name: "two-fields", change: .line(2, "serial_no,data"), expect: Expect(2, .line(2))),
               Probe(name: "comment-key", change: .cell(line: 3, column: 0, value: "#device"), expect: Expect(2, .line(3))),
               // Two fields besides REPEAT (a fuzz-found crash: Fixtures/fuzz/nvs-mfg-config).
               Probe(name: "repeat-two-fields", change: .line(3, "device_no,data,REPEAT"), expect: Expect(2, .line(3)))]
    }

    static var batchValueProbes: [Probe] {
        (2...4).flatMap { Probe.cells(line: $0, column: 2, field: "device_no", values: ["-1", "4294967296", "abc", "1.5", "-", "1e5"] + huge) }
            + (2...4).flatMap { Probe.cells(line: $0, column: 4, field: "mac", values: ["zz", "123", "0x1234", "g0", "12345"]) }
            + [Probe(name: "renamed-column", change: .cell(line: 1, column: 1, value: "serial"),
                     expect: Expect(2, .line(2, field: "key"), names: "config.csv"))]
            + (2...4).map { Probe(name: "renamed-column-\($0)", change: .cell(line: 1, column: $0, value: "renamed"),
                                  expect: Expect(2, .anyLine, names: "config.csv")) }
            + (2...4).map { Probe(name: "extra-cell-\($0)", change: .line($0, "\($0),SN,1,B,00,extra"), expect: Expect(2, .line($0))) }
            + [Probe(name: "short-row", change: .line(3, "2,SN0002"), expect: Expect(2, .line(3)))]
    }

    // MARK: factory-param

    static let factoryTypes = CorpusInput("types", file: "types.csv", fixture: "malformed/factory-param/types.csv", text: true,
                                          probes: factoryTypeProbes, garbage: Expect(2, .anyLine), endless: true)

    static var factoryTypeProbes: [Probe] {
        Probe.cells(line: 5, column: 1, field: "offset", values: ["x", "4096", "-7", "1.5"] + huge)
            + Probe.cells(line: 5, column: 3, field: "size", values: ["5", "abc"] + huge)
            + Probe.cells(line: 5, column: 2, field: "type", values: ["int", "Integer", "float"])
            + Probe.cells(line: 6, column: 1, field: "offset", values: ["0", "1"])
            + (13...17).flatMap { Probe.cells(line: $0, column: 3, field: "size", values: ["5", "x", "99999"]) }
            + (13...17).flatMap { Probe.cells(line: $0, column: 2, field: "type", values: ["int", "str"]) }
            + Probe.cells(line: 7, column: 0, field: "param_name", values: ["", "magic_flag"])
            + Probe.cells(line: 1, column: 1, field: nil, values: ["offs"], reportedLine: 1)
            + [Probe(name: "header-only", change: .content(Array("param_name,offset,type,size\n".utf8)), expect: Expect(2, .line(1)))]
    }

    static var factoryDataProbes: [Probe] {
        // Line 2 is WROOM-32; columns: platform 0, module_name 1, …, magic_flag 3, version 4, tx_max_power 6,
        // uart_port 7, country_code 10, uart_baudrate 11, uart_tx_pin 12.
        Probe.cells(line: 2, column: 6, field: "tx_max_power", values: ["256", "-129", "078", "0x", "abc"] + huge)
            + Probe.cells(line: 2, column: 11, field: "uart_baudrate", values: ["4294967296", "11520O", ""])
            + Probe.cells(line: 2, column: 10, field: "country_code", values: ["CHINA", "C\u{0}"])
            + Probe.cells(line: 2, column: 12, field: "uart_tx_pin", values: ["300", "-200", "0x1FF"])
            + Probe.cells(line: 2, column: 3, field: "magic_flag", values: ["0x1234", "0xfcfd"])
            + [5, 7, 8, 9, 13, 14, 15].flatMap { Probe.cells(line: 2, column: $0, field: nil, values: ["x1", "0x", "-"], reportedLine: 2) }
            + [Probe(name: "short-row", change: .line(2, "PLATFORM_ESP32,WROOM-32,,0xfcfc"), expect: Expect(2, .line(2))),
               Probe(name: "duplicate-row", change: .insert(3, "PLATFORM_ESP32,WROOM-32,,0xfcfc,3,0,78,1,1,13,CN,115200,17,16,15,14,-1,-1"),
                     expect: Expect(2, .line(3))),
               Probe(name: "no-module", change: .cell(line: 2, column: 1, value: "WROOM-33"), expect: Expect(2, .none))]
    }

    static let factoryParamBuild = CorpusCommand(
        name: "factory-param build",
        arguments: ["factory-param", "build", "--types", "{types}", "--data", "{data}", "--platform", "ESP32", "--module", "WROOM-32", "-o", "{out}"],
        inputs: [factoryTypes,
                 CorpusInput("data", file: "data.csv", fixture: "malformed/factory-param/data.csv", text: true, probes: factoryDataProbes,
                             garbage: Expect(2, .anyLine))],
        output: "out.bin")

    static var factoryBinProbes: [Probe] {
        Probe.patches([(0, [0x00]), (1, [0xFD]), (0, [0xFF, 0xFF]), (0, [0xCF, 0xCF]), (0, Array("AT".utf8))], location: .byte())
            + [0, 4, 5, 6, 7, 8, 9, 10, 16, 17, 32, 33, 64, 100, 127, 128, 129, 200, 253, 254, 255].map {
                Probe(name: "version-\($0)", change: .patch(offset: 2, bytes: [UInt8($0)]), expect: Expect(2, .byte()))
            }
            + [3, 11, 23].map { Probe(name: "short-\($0)", change: .truncate($0), expect: Expect(2, .byte())) }
            + [Probe(name: "all-ff", change: .content([UInt8](repeating: 0xFF, count: 4096)), expect: Expect(2, .byte()))]
    }

    /// Without --types the version byte picks the layout, so the magic and version are checked.
    static let factoryParamInspect = CorpusCommand(
        name: "factory-param inspect", arguments: ["factory-param", "inspect", "{bin}"],
        inputs: [CorpusInput("bin", file: "factory_param.bin", fixture: "malformed/factory-param/factory_param.bin", text: false,
                             probes: factoryBinProbes, truncated: Expect(2, .byte()), truncations: [1, 2, 10, 20, 30])],
        output: nil)

    static let factoryParamInspectTypes = CorpusCommand(
        name: "factory-param inspect --types", arguments: ["factory-param", "inspect", "{bin}", "--types", "{types}"],
        inputs: [factoryTypes], output: nil, support: ["factory_param.bin": "malformed/factory-param/factory_param.bin"])

    static var wholeImageProbes: [Probe] {
        // Main table at 0x8000 (nvs, phy_init, at_customize, factory), at_customize.bin at 0x20000, factory_param at 0x30000.
        tableProbes + Probe.patches([(0x30000, [0x00]), (0x30002, [0x09])], location: .byte())
            + [0x30001].map { Probe(name: "short-\(String($0, radix: 16))", change: .truncate($0), expect: Expect(2, .none)) }
    }

    /// Broken tables in a whole image: the main table at 0x8000 (four entries), at_customize.bin at 0x20000 (three).
    static var tableProbes: [Probe] {
        Probe.patches([(0x8000 + 2, [0x41]), (0x8000 + 32 * 3 + 20, [0x7A]), (0x8000 + 32 * 4 + 31, [0x00]), (0x8000 + 32 + 1, [0x51])],
                      location: .byte())
            + Probe.patches([(0x20000 + 12, Array("X".utf8)), (0x20000 + 32 * 3 + 31, [0x00])], location: .byte())
            + [0x1000, 0x8800, 0x20010].map { Probe(name: "short-\(String($0, radix: 16))", change: .truncate($0), expect: Expect(2, .none)) }
    }

    static let factoryParamSet = CorpusCommand(
        name: "factory-param set", arguments: ["factory-param", "set", "{image}", "uart_baudrate=921600", "-o", "{out}"],
        inputs: [CorpusInput("image", file: "whole.bin", fixture: "malformed/image/whole.bin", text: false, probes: wholeImageProbes,
                             truncated: nil, flips: .init(range: 0x8002..<(0x8000 + 4 * 32), count: 80, expect: Expect(2, .byte())))],
        output: "out.bin")

    // MARK: ble-service

    static let bleBuild = CorpusCommand(
        name: "ble-service build", arguments: ["ble-service", "build", "{csv}", "-o", "{out}"],
        inputs: [CorpusInput("csv", file: "ble.csv", fixture: "malformed/ble-service/ble.csv", text: true, probes: bleProbes,
                             garbage: Expect(2, .anyLine), endless: true)],
        output: "out.bin")

    static var bleProbes: [Probe] {
        Probe.cells(line: 2, column: 0, field: "index", values: ["1", "-1", "x"])
            + Probe.cells(line: 3, column: 1, field: "uuid_len", values: ["17", "0", "x"] + huge)
            + Probe.cells(line: 3, column: 2, field: "uuid", values: ["0x123456", "0xZZ"])
            + Probe.cells(line: 3, column: 3, field: "perm", values: ["0x8000", "x", "-1"])
            + Probe.cells(line: 4, column: 4, field: "val_max_len", values: ["513", "x"] + huge)
            + Probe.cells(line: 4, column: 4, field: "value", values: ["2"])
            + Probe.cells(line: 4, column: 5, field: "val_cur_len", values: ["21", "x"])
            + Probe.cells(line: 4, column: 6, field: "value", values: ["XYZ", String(repeating: "00", count: 30)])
            + (2...6).flatMap { Probe.cells(line: $0, column: 1, field: "uuid_len", values: ["8", "64", "1e2"]) }
            + (2...6).flatMap { Probe.cells(line: $0, column: 3, field: "perm", values: ["0x1000", "0xFFFF"]) }
            + (2...6).flatMap { Probe.cells(line: $0, column: 4, field: "val_max_len", values: ["600", "-5"]) }
            + (2...6).flatMap { Probe.cells(line: $0, column: 0, field: "index", values: ["9", "0x0"]) }
            + (2...6).flatMap { Probe.cells(line: $0, column: 2, field: "uuid", values: ["0xG1", "0x123456789012345678901234567890123"]) }
            + (2...6).flatMap { Probe.cells(line: $0, column: 5, field: "val_cur_len", values: ["x"]) }
            + (2...6).flatMap { Probe.cells(line: $0, column: 6, field: "value", values: ["0xZZ"]) }
            + [Probe(name: "row-after-end", change: .insert(7, ",,,,,,\n5,16,0x2800,0x01,2,2,A002"), expect: Expect(2, .line(8)))]
    }

    static let bleInspect = CorpusCommand(
        name: "ble-service inspect", arguments: ["ble-service", "inspect", "{bin}", "--json"],
        inputs: [CorpusInput("bin", file: "ble_data.bin", fixture: "malformed/ble-service/ble_data.bin", text: false, probes: bleBinProbes,
                             truncated: Expect(2, .byte()), truncations: [1, 2, 3, 4, 5, 6, 10, 20, 50, 100, 200, 300, 400, 500, 603])],
        output: nil)

    static var bleBinProbes: [Probe] {
        Probe.patches([(2, [0x28]), (3, [0x00]), (0, [0xFF, 0xFF]), (0, [0x00, 0x00]), (0, [0x10, 0x00])], location: .byte())
            + Probe.patches([(4, Array("[".utf8)), (20, Array("\"".utf8)), (30, Array("}".utf8)), (40, [0x00]), (50, Array("9999999".utf8))],
                            location: .byte())
            + [Probe(name: "trailing", change: .content(Array((try? CorpusFixtures.bytes("malformed/ble-service/ble_data.bin")) ?? []) + [0x00]),
                     expect: Expect(2, .byte()))]
            + jsonProbes(in: (try? CorpusFixtures.bytes("malformed/ble-service/ble_data.bin")) ?? [])
            + [[0x59, 0x02], [0xFF, 0x7F], [0x05, 0x00], [0x57, 0x02]].map {
                Probe(name: "length-\($0[0])", change: .patch(offset: 0, bytes: $0), expect: Expect(2, .byte()))
            }
            + [[0x00], [0x20], [0x7B], [0x0A]].map {
                Probe(name: "trailing-\($0[0])", change: .content(((try? CorpusFixtures.bytes("malformed/ble-service/ble_data.bin")) ?? []) + $0),
                      expect: Expect(2, .byte()))
            }
    }

    /// Every key of the JSON renamed (an unknown key), every number made a word.
    static func jsonProbes(in bytes: [UInt8]) -> [Probe] {
        var probes: [Probe] = []
        for i in bytes.indices.dropLast(2) where bytes[i] == UInt8(ascii: "\"") && bytes[i + 1] != UInt8(ascii: "\"") {
            // A key: the quote opens a string followed by `":`.
            guard let close = bytes[(i + 1)...].firstIndex(of: UInt8(ascii: "\"")), close + 1 < bytes.count, bytes[close + 1] == UInt8(ascii: ":"),
                  bytes[(i + 1)..<close] != Array("Service".utf8)[...] else { continue }
            probes.append(Probe(name: "key@\(String(i, radix: 16))", change: .patch(offset: i + 1, bytes: [UInt8(ascii: "Z")]), expect: Expect(2, .byte())))
        }
        for i in bytes.indices.dropFirst(2) where bytes[i - 2] == UInt8(ascii: ":") && (0x30...0x39).contains(bytes[i]) {
            probes.append(Probe(name: "number@\(String(i, radix: 16))", change: .patch(offset: i, bytes: [UInt8(ascii: "q")]), expect: Expect(2, .byte())))
        }
        return probes
    }

    // MARK: pki

    /// AtPKI.py stores any file; an item that is no certificate or key gives a warning, not an error.
    static let pkiBuild = CorpusCommand(
        name: "pki build", arguments: ["pki", "build", "-o", "{out}", "cert", "{cert}", "key", "{key}"],
        inputs: [CorpusInput("cert", file: "server.crt", fixture: "malformed/pki/server.crt", text: false, probes: pkiItemProbes,
                             empty: Expect(0, .none), garbage: Expect(0, .none), truncated: Expect(0, .none),
                             flips: .init(range: 0..<470, count: 30, expect: Expect(0, .none))),
                 CorpusInput("key", file: "server.key", fixture: "malformed/pki/server.key", text: false, probes: pkiItemProbes,
                             empty: Expect(0, .none), garbage: Expect(0, .none), truncated: Expect(0, .none),
                             flips: .init(range: 0..<225, count: 20, expect: Expect(0, .none)))],
        output: "out.bin")

    static var pkiItemProbes: [Probe] {
        [65_536, 65_537, 70_000, 200_000].map {
            Probe(name: "too-large-\($0)", change: .content([UInt8](repeating: 0x41, count: $0)), expect: Expect(2, .none))
        }
            + [Probe(name: "largest", change: .content([UInt8](repeating: 0x41, count: 65_535)), expect: Expect(0, .none)),
               Probe(name: "other-pem", change: .content(Array("-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n".utf8)), expect: Expect(0, .none)),
               Probe(name: "der-garbage", change: .content([0x30, 0x82, 0xFF, 0xFF, 0x01]), expect: Expect(0, .none)),
               Probe(name: "nul", change: .content([0, 0, 0, 0]), expect: Expect(0, .none)),
               Probe(name: "utf16", change: .content([0xFF, 0xFE, 0x41, 0x00]), expect: Expect(0, .none))]
            + [20, 40, 60, 100].map { Probe(name: "broken-pem-\($0)", change: .patch(offset: $0, bytes: Array("!!!!".utf8)), expect: Expect(0, .none)) }
    }

    static let pkiInspect = CorpusCommand(
        name: "pki inspect", arguments: ["pki", "inspect", "{bin}", "--json"],
        inputs: [CorpusInput("bin", file: "bundle.bin", fixture: "malformed/pki/bundle.bin", text: false, probes: pkiBinProbes,
                             truncated: Expect(2, .byte()), truncations: [1, 3, 7, 8, 11, 100, 400, 719],
                             flips: .init(range: 12..<700, count: 70, expect: Expect(0, .none)))],
        output: nil)

    static var pkiBinProbes: [Probe] {
        Probe.patches([(0, [0xF2]), (1, [0x00]), (2, [0x05]), (2, [0x00]), (2, [0x03]), (3, [0x01]), (4, [0xFF, 0xFF]),
                       (4, [0x10, 0x00, 0x00, 0x00]), (4, [0x00, 0x00, 0x00, 0x00]), (6, [0x01]), (10, [0xFF, 0xFF]), (10, [0x00, 0x00]),
                       (10, [0x01, 0x00]), (5, [0x10]), (7, [0x01]), (11, [0x10])], location: .byte())
            + [Probe(name: "trailing", change: .content(Array((try? CorpusFixtures.bytes("malformed/pki/bundle.bin")) ?? []) + [0x00]),
                     expect: Expect(2, .byte()))]
    }

    // MARK: merge-bin

    static let mergeBin = CorpusCommand(
        name: "merge-bin", arguments: ["merge-bin", "--chip", "esp32", "-o", "{out}", "0x1000", "{boot}", "0x8000", "{table}", "0x10000", "{app}"],
        inputs: [
            CorpusInput("boot", file: "boot.bin", fixture: "malformed/merge-bin/boot.bin", text: false, probes: mergeProbes(gap: 0x7000),
                        empty: Expect(0, .none), garbage: Expect(0, .none), truncated: Expect(0, .none)),
            CorpusInput("table", file: "partitions.bin", fixture: "malformed/merge-bin/partitions.bin", text: false,
                        probes: mergeProbes(gap: 0x8000), empty: Expect(0, .none), garbage: Expect(0, .none)),
            CorpusInput("app", file: "app.bin", fixture: "malformed/merge-bin/app.bin", text: false, probes: [], empty: Expect(0, .none),
                        garbage: Expect(0, .none)),
        ],
        output: "out.bin")

    /// merge-bin copies files as they are; what it refuses is an Intel HEX file, and a file that runs into the next one's
    /// sector (boot.bin at 0x1000 from 0x7001 bytes, partitions.bin at 0x8000 from 0x8001).
    static func mergeProbes(gap: Int) -> [Probe] {
        [":10000000000102030405060708090A0B0C0D0E0F78\n:00000001FF\n", ":00000001FF\r\n", ":020000040000FA\n",
         ":10000000000102030405060708090a0b0c0d0e0f78\n"].enumerated().map { n, text in
            Probe(name: "intel-hex-\(n)", change: .content(Array(text.utf8)), expect: Expect(2, .none))
        }
            + [gap + 1, gap + 0x800, gap + 0x1001, 0x10000].map {
                Probe(name: "runs-into-next-\(String($0, radix: 16))", change: .content([UInt8](repeating: 0x11, count: $0)), expect: Expect(2, .none))
            }
            + [1, 0x100, gap].map {
                Probe(name: "fits-\(String($0, radix: 16))", change: .content([UInt8](repeating: 0x22, count: $0)), expect: Expect(0, .none))
            }
    }

    static let mergeBinConfig = CorpusCommand(
        name: "merge-bin --config", arguments: ["merge-bin", "--chip", "esp32", "-o", "{out}", "--config", "{config}"],
        inputs: [CorpusInput("config", file: "flash_args", fixture: "malformed/merge-bin/flash_args", text: true, probes: configProbes,
                             empty: Expect(2, .none), garbage: Expect(2, .none), endless: true)],
        output: "out.bin",
        support: ["boot.bin": "malformed/merge-bin/boot.bin", "partitions.bin": "malformed/merge-bin/partitions.bin",
                  "app.bin": "malformed/merge-bin/app.bin"])

    static var configProbes: [Probe] {
        var probes: [Probe] = []
        for (n, text) in ["0xZZ boot.bin", "-0x1000 boot.bin", "0xFFFFFFFFFFFF boot.bin", "0x10001000 boot.bin",
                          "99999999999999999999999 boot.bin", "1.5 boot.bin", "0x1000k boot.bin", "0x100000000 boot.bin",
                          "0x8800 boot.bin", "0x10800 boot.bin", "0xFFFFFFFF boot.bin"].enumerated() {
            probes.append(Probe(name: "pair-\(n)", change: .line(2, text), expect: Expect(2, .line(2))))
        }
        // An unpaired word shifts the pairs: the error is found on the next line.
        for (n, text) in ["0x1000", "0x1000 boot.bin 0x1000", "0x8000 app.bin", "boot.bin", "0x7800 boot.bin"].enumerated() {
            probes.append(Probe(name: "shifted-\(n)", change: .line(2, text), expect: Expect(2, .anyLine)))
        }
        for (n, text) in ["0x20000 nothere.bin", "0x20000 /nonexistent/x.bin", "0x20000 .", "0x20000 boot.bin/x"].enumerated() {
            probes.append(Probe(name: "unreadable-\(n)", change: .insert(5, text), expect: Expect(74, .line(5))))
        }
        for (n, text) in ["--flash_mode xio", "--flash_freq 99m", "--flash_size 3MB", "--flash_mode"].enumerated() {
            probes.append(Probe(name: "option-\(n)", change: .line(1, text), expect: Expect(2, .line(1))))
        }
        probes.append(Probe(name: "json-broken", change: .content(Array("{\"flash_files\": {\"0x1000\": }".utf8)), expect: Expect(2, .none)))
        for (n, json) in ["{\"flash_files\": {\"0x1000\": 5}}", "{\"flash_files\": []}", "[]",
                          "{\"flash_settings\": {\"flash_mode\": \"xio\"}, \"flash_files\": {\"0x1000\": \"boot.bin\"}}",
                          "{\"flash_files\": {\"0x1000\": \"boot.bin\", \"0x1000\": \"app.bin\"}}"].enumerated() {
            probes.append(Probe(name: "json-\(n)", change: .content(Array(json.utf8)), expect: Expect(2, .none)))
        }
        probes.append(Probe(name: "json-address", change: .content(Array("{\"flash_files\": {\"zz\": \"boot.bin\"}}".utf8)), expect: Expect(2, .none)))
        probes.append(Probe(name: "missing-file", change: .line(4, "0x10000 nothere.bin"), expect: Expect(74, .line(4))))
        for (n, text) in ["--flash_size 4MB --flash_mode", "--flash_freq 40m --flash_freq", "--flash_size 5MB", "--flash_size 4XB"].enumerated() {
            probes.append(Probe(name: "option-more-\(n)", change: .line(1, text), expect: Expect(2, .line(1))))
        }
        probes.append(Probe(name: "chip-takes-the-address", change: .line(1, "--chip"), expect: Expect(2, .anyLine)))
        return probes
    }

    // MARK: image-info, image replace

    static let imageInfo = CorpusCommand(
        name: "image-info", arguments: ["image-info", "{image}"],
        inputs: [CorpusInput("image", file: "app.bin", fixture: "malformed/image/app.bin", text: false, probes: imageProbes,
                             truncated: Expect(2, .byte()), truncations: [2, 7, 24, 33, 1000, 34_000],
                             flips: .init(range: 4000..<60_000, count: 65, expect: Expect(0, .none)))],
        output: nil)

    static var imageProbes: [Probe] {
        // Header: magic 0, segment count 1, hash flag 23; the first segment header at 24 (load address, length).
        Probe.patches([(0, [0x00]), (0, [0x7F]), (1, [17]), (1, [200]), (23, [2]), (23, [0xFF])], location: .byte())
            + Probe.patches([(28, [0xFF, 0xFF, 0xFF, 0x7F]), (28, [0x00, 0x00, 0x10, 0x00])], location: .byte())
            + [30, 100, 1000, 40_000].map { Probe(name: "short-\($0)", change: .truncate($0), expect: Expect(2, .byte())) }
            + segmentLengthProbes((try? CorpusFixtures.bytes("malformed/image/app.bin")) ?? [])
            + [Probe(name: "zero", change: .content([0]), expect: Expect(2, .byte())),
               Probe(name: "magic-only", change: .content([0xE9]), expect: Expect(2, .byte()))]
    }

    /// Each segment's length made larger than what follows it.
    static func segmentLengthProbes(_ image: [UInt8]) -> [Probe] {
        guard image.count > 24 else { return [] }
        var probes: [Probe] = []
        var at = 24
        for n in 0..<Int(image[1]) where at + 8 <= image.count {
            let length = Int(image[at + 4]) | Int(image[at + 5]) << 8 | Int(image[at + 6]) << 16 | Int(image[at + 7]) << 24
            for value: UInt32 in [0xFFFF_FFFF, UInt32(image.count)] {
                probes.append(Probe(name: "segment-\(n)-length-\(String(value, radix: 16))",
                                    change: .patch(offset: at + 4, bytes: withUnsafeBytes(of: value.littleEndian, Array.init)), expect: Expect(2, .byte())))
            }
            at += 8 + length
        }
        return probes
    }

    static let imageReplace = CorpusCommand(
        name: "image replace", arguments: ["image", "replace", "{image}", "ble_data", "{file}", "-o", "{out}"],
        inputs: [CorpusInput("image", file: "whole.bin", fixture: "malformed/image/whole.bin", text: false, probes: tableProbes, truncated: nil,
                             flips: .init(range: 0x8002..<(0x8000 + 4 * 32), count: 70, expect: Expect(2, .byte()))),
                 CorpusInput("file", file: "ble_data.bin", fixture: "malformed/ble-service/ble_data.bin", text: false,
                             probes: [Probe(name: "too-large", change: .content(Array(repeating: 0x27, count: 0x3001)), expect: Expect(2, .none)),
                                      Probe(name: "no-magic", change: .patch(offset: 2, bytes: [0, 0]), expect: Expect(2, .none))]
                                 + [1, 2, 3].map { Probe(name: "short-\($0)", change: .truncate($0), expect: Expect(2, .none)) },
                             empty: Expect(2, .none), garbage: Expect(2, .none))],
        output: "out.bin")

    // MARK: at test --layout

    static let atTestLayout = CorpusCommand(
        name: "at test --layout", arguments: ["at", "test", "-p", "/nonexistent/tty", "--layout", "{layout}"],
        inputs: [CorpusInput("layout", file: "at_customize.bin", fixture: "malformed/image/at_customize.bin", text: false,
                             probes: binaryTableProbes(entries: 3), empty: nil, garbage: Expect(2, .none), truncated: Expect(2, .place),
                             truncations: [1, 7, 33, 100, 4 * 32, 4 * 32 + 5],
                             flips: .init(range: 2..<96, count: 30, expect: Expect(2, .byte())))],
        output: nil)

    static let atTestLayoutCSV = CorpusCommand(
        name: "at test --layout csv", arguments: ["at", "test", "-p", "/nonexistent/tty", "--layout", "{csv}"],
        inputs: [CorpusInput("csv", file: "at_customize.csv", fixture: "malformed/image/partitions.csv", text: true,
                             probes: partitionProbes.filter { if case .cell(let line, _, _) = $0.change { line == 2 } else { false } },
                             empty: nil, garbage: Expect(2, .anyLine))],
        output: nil)
}
