/// Corpus descriptions of the commands that read files before talking to a device (write-flash and verify-flash
/// `--config`, load-ram) and of `station run`. Device commands check every input before the port is opened, so a
/// port that cannot exist (`/nonexistent/tty`) proves it: a broken input is refused naming the file (exit 2 or 74)
/// where a good one would reach the port (exit 74 naming the port).
extension CorpusCommands {
    static let deviceCommands: [CorpusCommand] = [writeFlashConfig, verifyFlashConfig, loadRAM, stationRecipe]

    static let noPort = "/nonexistent/tty"
    /// A valid input reaches the port, which cannot be opened.
    static let reachesPort = Expect(74, .none, names: noPort)

    static let configSupport = ["boot.bin": "malformed/merge-bin/boot.bin", "partitions.bin": "malformed/merge-bin/partitions.bin",
                                "app.bin": "malformed/merge-bin/app.bin"]

    /// The `--config` probes of merge-bin as a device command sees them: addresses are only checked against the
    /// flash once the chip is known, so ones that are numbers reach the port.
    /// verify-flash reads back overlapping regions as they are; write-flash refuses them, naming the later file's line.
    static func deviceConfigProbes(verifying: Bool) -> [Probe] {
        var probes = configProbes.map { probe in
            var probe = probe
            if ["pair-8", "pair-9", "shifted-2", "shifted-4", "json-4"].contains(probe.name) {
                probe.expect = verifying ? reachesPort : Expect(2, probe.name.hasPrefix("json") ? .none : .anyLine)
            }
            return probe
        }
        let files = ["boot.bin", "partitions.bin", "app.bin"]
        for line in 2...4 {
            let file = files[line - 2]
            for (n, address) in ["0xZZ", "-1", "1.5", "0x1000k", "99999999999999999999999", "zz", "0x", "1e3", "+-1", "0xG",
                                                 "0b2", "--", "1k0"].enumerated() {
                probes.append(Probe(name: "L\(line)-address-\(n)", change: .line(line, "\(address) \(file)"), expect: Expect(2, .line(line))))
            }
            for (n, name) in ["nothere.bin", ".", "boot.bin/x"].enumerated() {
                probes.append(Probe(name: "L\(line)-file-\(n)", change: .line(line, "0x\(String(0x1000 << (line * 2), radix: 16)) \(name)"),
                                    expect: Expect(74, .line(line))))
            }
        }
        for (n, text) in ["--flash_freq 13m", "--flash_size 0MB", "--flash_size detect2", "--flash_mode qio2", "--flash_size",
                          "--flash_freq", "--flash_mode q", "--flash_size 4"].enumerated() {
            probes.append(Probe(name: "L1-option-\(n)", change: .line(1, text), expect: Expect(2, .line(1))))
        }
        return probes
    }

    static let writeFlashConfig = CorpusCommand(
        name: "write-flash --config", arguments: ["write-flash", "-p", noPort, "--config", "{config}"],
        inputs: [CorpusInput("config", file: "flash_args", fixture: "malformed/merge-bin/flash_args", text: true, probes: deviceConfigProbes(verifying: false),
                             empty: Expect(2, .none), garbage: Expect(2, .none), endless: true)],
        output: nil, support: configSupport)

    static let verifyFlashConfig = CorpusCommand(
        name: "verify-flash --config", arguments: ["verify-flash", "-p", noPort, "--config", "{config}"],
        inputs: [CorpusInput("config", file: "flash_args", fixture: "malformed/merge-bin/flash_args", text: true, probes: deviceConfigProbes(verifying: true),
                             empty: Expect(2, .none), garbage: Expect(2, .none), endless: true)],
        output: nil, support: configSupport)

    /// load-ram reads the image (its segments) before connecting.
    static let loadRAM = CorpusCommand(
        name: "load-ram", arguments: ["load-ram", "-p", noPort, "{image}"],
        inputs: [CorpusInput("image", file: "app.bin", fixture: "malformed/image/app.bin", text: false, probes: imageProbes,
                             truncated: Expect(2, .byte()), truncations: [2, 7, 24, 33, 1000, 34_000],
                             flips: .init(range: 4000..<60_000, count: 65, expect: reachesPort))],
        output: nil)

    // MARK: station run

    /// Lines of Fixtures/malformed/station/recipe.toml: 1 chip, 2 flash, 3 baud, 4 station, 5 min_revision,
    /// 7 [unit], 8 values, 9 id, 10 release, 12 [test], 13 at, 15 [retries], 16 connect, 18 [[port]], 19 path.
    static var recipeProbes: [Probe] {
        var probes: [Probe] = []
        func lines(_ line: Int, _ texts: [String], reported: Int? = nil, exit: Int32 = 2) {
            for (n, text) in texts.enumerated() {
                probes.append(Probe(name: "L\(line)-\(n)", change: .line(line, text), expect: Expect(exit, .line(reported ?? line))))
            }
        }
        probes += Probe.cells(line: 2, column: 0, field: nil, values: ["flash = [[\"0xZZ\"", "flash = [[\"-0x1000\"", "flash = [[5"])
        lines(1, ["chip = \"esp99\"", "chip = 5", "chip = \"\"", "chip = true", "chip = [\"esp32\"]", "chip = \"esp32", "chip =", "chip = \"esp\u{0}32\""])
        lines(2, ["flash = [[\"0x1000\"]]", "flash = [[\"0x1000\", 5]]", "flash = \"boot.bin\"", "flash = [[\"0x1000\", \"\"]]",
                  "flash = [[\"99999999999999999999999\", \"boot.bin\"]]", "flash = [[\"0x1000\", \"boot.bin\"],}", "flash = [[\"0x1000\" \"boot.bin\"]]",
                  "flash = [[\"0x1000\", \"boot.bin\"], [\"0x1000\", \"app.bin\"]]", "flash = [1, 2]", "flash = [[\"0x1000\", \"boot.bin\"]",
                  "flash = [[\"0x1000\", \"boot.bin\"]]]", "flash = {}", "flash = [[\"0x1000\", \"boot.bin\"],,]"])
        lines(3, ["baud = 0", "baud = -1", "baud = \"fast\"", "baud = 1.5", "baud = 99999999999999999999999", "baud = 0x", "baud = true"])
        lines(4, ["station = 5", "station = []", "station = {a = 1}", "baudrate = 1", "station = 'unclosed"])
        lines(5, ["min_revision = \"v\"", "min_revision = \"1.x\"", "min_revision = 3", "min_revision = \"v99999999999999999999.0\""])
        lines(8, ["values = 5"])
        lines(8, ["values = \"\""], reported: 7)  // the pool named after the file is empty
        lines(9, ["id = 5"])
        probes.append(Probe(name: "id-not-a-column", change: .line(9, "id = \"nope\""), expect: Expect(2, .line(1), names: "units.csv")))
        lines(10, ["release = \"sometimes\"", "release = 1", "pool = \"\""])
        lines(13, ["at = \"yes\"", "at = 1", "at = []"])
        lines(16, ["connect = -1", "connect = \"x\"", "connect = 1.5", "connect = 99999999999999999999999", "connects = 1"])
        lines(19, ["path = 5", "paths = \"x\""])
        lines(7, ["[#unit]", "[\\unit]", "[.unit]", "[ *]", "[unit", "[[unit]]"])
        lines(12, ["[test]]", "[\u{e9}]", "[test] x", "[[]]"])
        lines(18, ["[[#port]]", "[[port]"])
        for (n, text) in ["= 1", "\"key", "chip = \"esp32\"", "x = {a = 1,}", "x = [1, }", "x = {a = 1", "x = \"\"\"open"].enumerated() {
            probes.append(Probe(name: "insert-\(n)", change: .insert(6, text), expect: Expect(2, .anyLine)))
        }
        return probes
    }

    static var unitProbes: [Probe] {
        [Probe(name: "id-twice", change: .line(3, "SN100001,net-9,7"), expect: Expect(2, .line(3, field: "serial"))),
         Probe(name: "id-empty", change: .line(2, ",net-1,7"), expect: Expect(2, .line(2, field: "serial"))),
         Probe(name: "short-row", change: .line(2, "SN100001,net-1"), expect: Expect(2, .line(2))),
         Probe(name: "long-row", change: .line(4, "SN100003,net-3,8,9"), expect: Expect(2, .line(4))),
         Probe(name: "no-id-column", change: .line(1, "sn,wifi_ssid,batch"), expect: Expect(2, .line(1))),
         Probe(name: "column-twice", change: .line(1, "serial,batch,batch"), expect: Expect(2, .line(1, field: "batch"))),
         Probe(name: "column-unnamed", change: .line(1, "serial,,batch"), expect: Expect(2, .line(1))),
         Probe(name: "header-only", change: .content(Array("serial,wifi_ssid,batch\n".utf8)), expect: Expect(2, .line(1)))]
            + (2...4).map { Probe(name: "quote-\($0)", change: .line($0, "\"SN10000\($0),net,7"), expect: Expect(2, .anyLine)) }
    }

    static let stationRecipe = CorpusCommand(
        name: "station run", arguments: ["station", "run", "{recipe}", "--db", "{D}/station.db"],
        inputs: [CorpusInput("recipe", file: "recipe.toml", fixture: "malformed/station/recipe.toml", text: true, probes: recipeProbes,
                             empty: Expect(2, .none), garbage: Expect(2, .none), endless: true),
                 CorpusInput("units", file: "units.csv", fixture: "malformed/station/units.csv", text: true, probes: unitProbes,
                             empty: Expect(2, .line(1)), garbage: Expect(2, .none))],
        output: nil, support: configSupport)
}
