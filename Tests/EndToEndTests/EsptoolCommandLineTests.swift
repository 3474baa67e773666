import Foundation
import ImageFormats
import SerialBootloader
import TestSupport
import Testing

/// esptool's command line as its users type it: defaults from the environment and esptool.cfg (and which wins),
/// `@flash_args` from an ESP-IDF build folder, v4 underscore spellings, errors that name the real problem, the
/// automatic port choice among fake serial ports, and the esptool line in every command's help.
@Suite("esptool's command line: defaults, @FILE, underscores, errors, ports")
struct EsptoolCommandLineTests {
    /// A clean environment for precedence tests: an empty HOME and working folder, so no esptool.cfg of the
    /// machine is found.
    static func sandbox() throws -> (dir: String, environment: [String: String]) {
        let dir = try CLI.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/home", withIntermediateDirectories: true)
        return (dir, ["HOME": dir + "/home"])
    }

    static func result(_ run: CLIResult) throws -> [String: Any] {
        try #require(try ndjsonEvents(run).last { $0["event"] as? String == "result" })
    }

    @Test("port: --port beats ESPFLASH_PORT beats ESPTOOL_PORT beats esptool.cfg")
    func portPrecedence() throws {
        let (dir, base) = try Self.sandbox()
        try "[esptool]\nport = virtual://esp32c3\n".write(toFile: dir + "/esptool.cfg", atomically: true, encoding: .utf8)
        func chip(_ arguments: [String], _ environment: [String: String]) throws -> String? {
            let run = try CLI.run(["read-mac", "--json"] + arguments, environment: base.merging(environment) { $1 }, cwd: dir)
            #expect(run.exitCode == 0, "\(run.stderr)")
            return try Self.result(run)["chip"] as? String
        }
        #expect(try chip([], [:]) == "esp32c3")
        #expect(try chip([], ["ESPTOOL_PORT": "virtual://esp32s3"]) == "esp32s3")
        #expect(try chip([], ["ESPTOOL_PORT": "virtual://esp32s3", "ESPFLASH_PORT": "virtual://esp32"]) == "esp32")
        #expect(try chip(["-p", "virtual://esp32c3"], ["ESPTOOL_PORT": "virtual://esp32s3", "ESPFLASH_PORT": "virtual://esp32"]) == "esp32c3")
        // Before the command, as esptool takes it.
        let before = try CLI.run(["--port", "virtual://esp32s3", "read-mac", "--json"], environment: base.merging(["ESPTOOL_PORT": "virtual://esp32"]) { $1 }, cwd: dir)
        #expect(try Self.result(before)["chip"] as? String == "esp32s3")
    }

    @Test("connect attempts: --connect-attempts beats ESPTOOL_CONNECT_ATTEMPTS beats connect_attempts in the file")
    func attemptsPrecedence() throws {
        let (dir, base) = try Self.sandbox()
        try "# a comment\n[other]\nconnect_attempts = 9\n[esptool]\nconnect_attempts: 3\n".write(toFile: dir + "/setup.cfg", atomically: true, encoding: .utf8)
        let silent = base.merging(["ESPFLASH_VIRTUAL_FAULTS": "silent-after=0", "ESPTOOL_PORT": "virtual://esp32"]) { $1 }
        func attempts(_ arguments: [String], _ environment: [String: String]) throws -> String {
            let run = try CLI.run(["flash-id"] + arguments, environment: silent.merging(environment) { $1 }, cwd: dir)
            #expect(run.exitCode == 1)
            return run.stderr
        }
        #expect(try attempts([], [:]).contains("after 3 attempt(s)"), "setup.cfg's [esptool] section")
        #expect(try attempts([], ["ESPTOOL_CONNECT_ATTEMPTS": "2"]).contains("after 2 attempt(s)"))
        #expect(try attempts(["--connect-attempts", "1"], ["ESPTOOL_CONNECT_ATTEMPTS": "2"]).contains("after 1 attempt(s)"))
        #expect(try attempts(["--connect-attempts", "4"], [:]).contains("after 4 attempt(s)"))
    }

    @Test("the config file is found as esptool finds it: ESPTOOL_CFGFILE, then esptool.cfg, setup.cfg, tox.ini with [esptool], here, ~/.config/esptool, ~")
    func configDiscovery() throws {
        let (dir, base) = try Self.sandbox()
        let silent = base.merging(["ESPFLASH_VIRTUAL_FAULTS": "silent-after=0", "ESPTOOL_PORT": "virtual://esp32"]) { $1 }
        func attempts(_ environment: [String: String] = [:]) throws -> String {
            let run = try CLI.run(["flash-id"], environment: silent.merging(environment) { $1 }, cwd: dir)
            return run.stderr
        }
        try FileManager.default.createDirectory(atPath: dir + "/home/.config/esptool", withIntermediateDirectories: true)
        try "[esptool]\nconnect_attempts = 5\n".write(toFile: dir + "/home/esptool.cfg", atomically: true, encoding: .utf8)
        #expect(try attempts().contains("after 5 attempt(s)"), "the home folder")
        try "[esptool]\nconnect_attempts = 4\n".write(toFile: dir + "/home/.config/esptool/esptool.cfg", atomically: true, encoding: .utf8)
        #expect(try attempts().contains("after 4 attempt(s)"), "~/.config/esptool before ~")
        try "[flake8]\nmax-line-length = 120\n".write(toFile: dir + "/setup.cfg", atomically: true, encoding: .utf8)
        try "[esptool]\nconnect_attempts = 2\n".write(toFile: dir + "/tox.ini", atomically: true, encoding: .utf8)
        #expect(try attempts().contains("after 2 attempt(s)"), "a setup.cfg without [esptool] is passed over for tox.ini")
        try "[esptool]\nconnect_attempts = 1\nunknown_key = 3\n".write(toFile: dir + "/custom.cfg", atomically: true, encoding: .utf8)
        let named = try attempts(["ESPTOOL_CFGFILE": dir + "/custom.cfg"])
        #expect(named.contains("after 1 attempt(s)"))
        #expect(named.contains("ignoring unknown config option: unknown_key"))
        let missing = try attempts(["ESPTOOL_CFGFILE": dir + "/nope.cfg"])
        #expect(missing.contains("cannot read") && missing.contains("after 2 attempt(s)"), "a missing ESPTOOL_CFGFILE falls back with a warning")
        try "[esptool]\nconnect_attempts = many\n".write(toFile: dir + "/bad.cfg", atomically: true, encoding: .utf8)
        let bad = try CLI.run(["flash-id"], environment: silent.merging(["ESPTOOL_CFGFILE": dir + "/bad.cfg"]) { $1 }, cwd: dir)
        #expect(bad.exitCode == 2)
        #expect(bad.stderr.contains("bad.cfg:2") && bad.stderr.contains("'many'"), "\(bad.stderr)")
    }

    @Test("baud, chip, before and after from the environment; underscores in their values are deprecated but work")
    func environmentChoices() throws {
        let (dir, base) = try Self.sandbox()
        let env = base.merging(["ESPTOOL_PORT": "virtual://esp32", "ESPTOOL_CHIP": "esp32c3"]) { $1 }
        let wrongChip = try CLI.run(["read-mac"], environment: env, cwd: dir)
        #expect(wrongChip.exitCode == 1 && wrongChip.stderr.contains("not ESP32-C3"), "ESPTOOL_CHIP is checked: \(wrongChip.stderr)")
        let run = try CLI.run(["read-mac", "--json"], environment: env.merging(["ESPTOOL_CHIP": "ESP32", "ESPTOOL_BEFORE": "no_reset", "ESPTOOL_AFTER": "no_reset",
                                                                              "ESPTOOL_BAUD": "460800"]) { $1 }, cwd: dir)
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(run.stderr.contains("Deprecated: Choice 'no_reset' for option '--before' (ESPTOOL_BEFORE)"))
        #expect(run.stderr.contains("Deprecated: Choice 'no_reset' for option '--after' (ESPTOOL_AFTER)"))
        let badBaud = try CLI.run(["read-mac"], environment: env.merging(["ESPTOOL_BAUD": "fast"]) { $1 }, cwd: dir)
        #expect(badBaud.exitCode == 64 && badBaud.stderr.contains("ESPTOOL_BAUD"), "\(badBaud.stderr)")
    }

    @Test("ESPTOOL_OPEN_PORT_ATTEMPTS: 0 waits for a port that is not there yet (a USB port still enumerating); 1 fails at once")
    func openPortAttempts() throws {
        let (dir, base) = try Self.sandbox()
        let (server, pty) = try BackgroundProcess.emulator(chip: "esp32", pty: true, flashFile: dir + "/chip.bin")
        defer { server.stop() }
        let late = dir + "/ttyLATE"
        let once = try CLI.run(["read-mac", "-p", late, "--before", "no-reset"], environment: base)
        #expect(once.exitCode == 74, "\(once.stderr)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["read-mac", "-p", late, "--before", "no-reset"]
        process.environment = ProcessInfo.processInfo.environment.merging(base) { $1 }.merging(["ESPTOOL_OPEN_PORT_ATTEMPTS": "0"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 0.6)
        #expect(process.isRunning, "still trying to open the port")
        try FileManager.default.createSymbolicLink(atPath: late, withDestinationPath: pty)
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test("@flash_args in an ESP-IDF build folder, as idf.py flash runs it; --config flasher_args.json; the flash holds the patched bootloader")
    func idfBuildFolder() throws {
        let (dir, base) = try Self.sandbox()
        try FileManager.default.copyItem(atPath: CLI.fixture("esp-idf-build/hello_world"), toPath: dir + "/hello_world")
        let build = dir + "/hello_world/build"
        let flashFile = dir + "/chip.bin"
        let run = try CLI.run(["--chip", "esp32", "-p", "virtual://esp32?flash=\(flashFile)", "-b", "460800", "--before", "default_reset",
                               "--after", "hard_reset", "write_flash", "@flash_args"], environment: base, cwd: build)
        #expect(run.exitCode == 0, "\(run.stderr)")
        for note in ["Command 'write_flash'", "Option '--flash_mode'", "Option '--flash_freq'", "Option '--flash_size'",
                     "Choice 'default_reset'", "Choice 'hard_reset'"] {
            #expect(run.stderr.contains("warning: Deprecated: \(note)"), "\(note): \(run.stderr)")
        }
        let flash = Array(try CLI.read(flashFile))
        let settings = FlashSettings(mode: .dio, frequency: FlashFrequency(name: "40m"), size: FlashSize(name: "2MB"))
        for (address, path) in [(0x1000, "bootloader/bootloader.bin"), (0x8000, "partition_table/partition-table.bin"), (0x10000, "hello_world.bin")] {
            let file = Array(try CLI.read(build + "/" + path))
            let expected = try settings.patch(file, at: address, chip: .esp32).bytes
            #expect(Array(flash[address..<(address + expected.count)]) == expected, "\(path)")
        }
        #expect(flash[0x1002] == 0x02 && flash[0x1003] == 0x10, "bootloader header: DIO, 2MB, 40m")
        // The same from the project folder through --config, and verify-flash with it finds everything in place.
        let verify = try CLI.run(["verify-flash", "-p", "virtual://esp32?flash=\(flashFile)", "--config", "build/flasher_args.json"], environment: base,
                                 cwd: dir + "/hello_world")
        #expect(verify.exitCode == 0, "\(verify.stderr)")
        try FileManager.default.removeItem(atPath: flashFile)
        let config = try CLI.run(["write-flash", "-p", "virtual://esp32?flash=\(flashFile)", "--config", build + "/flasher_args.json", "--json"], environment: base)
        #expect(config.exitCode == 0, "\(config.stderr)")
        #expect((try Self.result(config)["regions"] as? [[String: Any]])?.count == 3)
        #expect(Array(try CLI.read(flashFile)) == flash)
    }

    @Test("underscore spellings of commands, options and choices work, each with one deprecation line")
    func underscores() throws {
        let (dir, base) = try Self.sandbox()
        let app = dir + "/app.bin"
        #expect(try CLI.run(["image", "make-app", "--chip", "esp32", "-o", app]).exitCode == 0)
        let run = try CLI.run(["--port", "virtual://esp32", "--connect_attempts", "3", "write_flash", "--flash_mode", "dio", "--flash_size", "4MB",
                               "--after", "no_reset", "0x10000", app], environment: base)
        #expect(run.exitCode == 0, "\(run.stderr)")
        let notes = run.stderr.split(separator: "\n").filter { $0.contains("Deprecated") }
        #expect(notes.count == 5, "\(run.stderr)")
        #expect(run.stderr.contains("Use '--connect-attempts' instead") && run.stderr.contains("Use 'no-reset' instead"))
        let merge = try CLI.run(["--chip", "esp32", "merge_bin", "-o", dir + "/m.bin", "--fill-flash-size", "4MB", "0x10000", app])
        #expect(merge.exitCode == 0, "\(merge.stderr)")
        #expect(merge.stderr.contains("Option '--fill-flash-size' is deprecated. Use '--pad-to-size' instead."))
        #expect(Array(try CLI.read(dir + "/m.bin")).count == 4 << 20)
        // Filenames keep their underscores.
        try FileManager.default.copyItem(atPath: app, toPath: dir + "/my_app_v1.bin")
        let files = try CLI.run(["-p", "virtual://esp32", "verify_flash", "0x10000", dir + "/my_app_v1.bin"], environment: base)
        #expect(files.exitCode == 1 && files.stderr.contains("my_app_v1.bin"))
    }

    @Test("errors name the real problem: an unknown option, a missing file after an address, image-info --version, an unknown command")
    func errors() throws {
        let dir = try CLI.temporaryDirectory()
        let app = dir + "/app.bin"
        try writeFile([0xE9, 1, 2, 3], app)
        let cases: [([String], String)] = [
            (["write-flash", "-p", "virtual://esp32", "--bogus", "0x0", app], "unknown option '--bogus'"),
            (["-p", "virtual://esp32", "write-flash", "0x0", app, "--compres"], "unknown option '--compres'"),
            (["write-flash", "-p", "virtual://esp32", "0x0", app, "0x1000"], "address 0x1000 has no file after it"),
            (["write-flash", "-p", "virtual://esp32", "zero", app], "address \"zero\" must be a number"),
            (["image-info", "--version", "2", app], "unknown option '--version'"),
            (["--chip", "esp32", "elf2image", "app.elf"], "unknown command 'elf2image'"),
            (["read-flash-status", "-p", "virtual://esp32", "--bytes", "4"], "--bytes must be 1, 2 or 3"),
            (["write-flash", "-p", "virtual://esp32", "--flash-freq", "41m", "0x0", app], "invalid value '41m' for --flash-freq"),
        ]
        for (arguments, message) in cases {
            let run = try CLI.run(arguments)
            #expect(run.exitCode == 64, "\(arguments): \(run.stderr)")
            #expect(run.stderr.hasPrefix("error: "), "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            #expect(!run.stderr.contains("give ADDR FILE pairs"), "\(arguments)")
            #expect(run.stdout.isEmpty, "\(arguments)")
        }
        let version = try CLI.run(["--version"])
        let versionCommand = try CLI.run(["version"])
        #expect(version.exitCode == 0 && version.stdoutText == versionCommand.stdoutText)
    }

    @Test("@FILE: an error about a word from the file names the file and its line; nothing reaches the port")
    func argumentFileErrorsNameTheLine() throws {
        let dir = try CLI.temporaryDirectory()
        for name in ["boot.bin", "partitions.bin", "app.bin"] {
            try FileManager.default.copyItem(atPath: CLI.fixture("malformed/merge-bin/" + name), toPath: dir + "/" + name)
        }
        let good = ["--flash_mode dio --flash_freq 40m --flash_size 4MB", "0x1000 boot.bin", "0x8000 partitions.bin", "0x10000 app.bin"]
        // (line changed, its new text, exit code, what the message says after `flash_args:LINE: `)
        let cases: [(Int, String, Int32, String)] = [
            (3, "0xZZ partitions.bin", 64, "address \"0xZZ\" must be a number"),
            (4, "0x10000 nothere.bin", 74, "cannot read nothere.bin"),
            (1, "--flash_mode dio --flash_size 3MB", 64, "invalid value '3MB' for --flash-size"),
            (4, "0x1000 app.bin", 2, "app.bin: at 0x1000 overlaps boot.bin"),
            (2, "0x1000 'boot.bin", 2, "no closing quotation"),
        ]
        for (line, text, exit, message) in cases {
            var lines = good
            lines[line - 1] = text
            try writeFile(Array((lines.joined(separator: "\n") + "\n").utf8), dir + "/flash_args")
            let run = try CLI.run(["write-flash", "-p", "/nonexistent/tty", "@flash_args"], cwd: dir)
            #expect(run.exitCode == exit, "\(text): \(run.stderr)")
            #expect(run.stderr.contains("error: flash_args:\(line): \(message)"), "\(text): \(run.stderr)")
            #expect(!run.stderr.contains("/nonexistent/tty"), "\(text): the port was reached: \(run.stderr)")
        }
        // Words typed on the command line are not attributed to the file.
        try writeFile(Array((good.joined(separator: "\n") + "\n").utf8), dir + "/flash_args")
        let typed = try CLI.run(["write-flash", "-p", "/nonexistent/tty", "@flash_args", "0x200000", "extra.bin"], cwd: dir)
        #expect(typed.exitCode == 74 && typed.stderr.contains("error: cannot read extra.bin"), "\(typed.stderr)")
    }

    @Test("checks before connecting: chip frequencies, files past the end of -fs, output folders (nothing is opened)")
    func checksBeforeConnecting() throws {
        let dir = try CLI.temporaryDirectory()
        let big = dir + "/big.bin"
        try writeFile([UInt8](repeating: 0x5A, count: 0x2000), big)
        let unopenable = dir + "/no-such-tty"  // opening it would fail with 74: an earlier exit code proves it was not opened
        let cases: [([String], Int32, String)] = [
            (["write-flash", "-p", unopenable, "--chip", "esp32c2", "-ff", "40m", "0x0", big], 64, "has no flash frequency 40m"),
            (["write-flash", "-p", unopenable, "-fs", "1MB", "0xFF000", big], 2, "past the end of the 1MB flash"),
            (["verify-flash", "-p", unopenable, "-fs", "1MB", "0xFF000", big], 2, "past the end of the 1MB flash"),
            (["read-flash", "-p", unopenable, "-fs", "1MB", "0xFF000", "0x2000", dir + "/out.bin"], 2, "past the end of the 1MB flash"),
            (["dump-mem", "-p", unopenable, "0x40000000", "64k", dir + "/missing/iram0.bin"], 74, "does not exist"),
            (["write-flash", "-p", unopenable, "0x0", big, "0x1000", big], 2, "sector"),
            (["load-ram", "-p", unopenable, "--chip", "esp32c3", CLI.fixture("images/ram_helloworld/helloworld-esp32.bin")], 2, "is an ESP32 image"),
        ]
        for (arguments, code, message) in cases {
            let run = try CLI.run(arguments + ["--json"])
            #expect(run.exitCode == code, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            let result = try Self.result(run)
            #expect(result["stage"] as? String == "arguments" && result["bytes_sent"] as? Int == 0, "\(arguments): \(result)")
        }
    }

    @Test("one ESP-looking port is used and named; none is an error (74) listing what is there; several stop (64) with the list; --port-filter picks")
    func portChoice() throws {
        let (dir, base) = try Self.sandbox()
        let flashFile = dir + "/chip.bin"
        let (server, pty) = try BackgroundProcess.emulator(chip: "esp32c3", pty: true, flashFile: flashFile)
        defer { server.stop() }
        let one = try FakeSerialPorts([FakeSerialPorts.usbSerialJTAG(target: pty), FakeSerialPorts.other(),
                                       FakeSerialPorts.Port(name: "ttyS0", driver: .pnp), FakeSerialPorts.Port(name: "ttyS1", driver: .platform)])
        let env = base.merging(one.environment) { $1 }.merging(["ESPTOOL_BEFORE": "no-reset"]) { $1 }
        let chosen = try CLI.run(["read-mac", "--json"], environment: env)
        #expect(chosen.exitCode == 0, "\(chosen.stderr)")
        #expect(chosen.stderr.contains("note: using \(one.dev)/ttyACM0: Espressif USB-Serial/JTAG, 303A:1001, serial 7C:DF:A1:00:11:22"), "\(chosen.stderr)")
        #expect(try Self.result(chosen)["port"] as? String == one.dev + "/ttyACM0")

        let none = try FakeSerialPorts([FakeSerialPorts.other(), FakeSerialPorts.Port(name: "ttyS0", driver: .pnp)])
        let noPort = try CLI.run(["read-mac", "--json"], environment: base.merging(none.environment) { $1 })
        #expect(noPort.exitCode == 74)
        #expect(noPort.stderr.contains("no ESP-looking serial port found") && noPort.stderr.contains("ttyUSB7") && noPort.stderr.contains("2341:0043"), "\(noPort.stderr)")
        #expect(try Self.result(noPort)["stage"] as? String == "open")
        let empty = try FakeSerialPorts([])
        #expect(try CLI.run(["read-mac"], environment: base.merging(empty.environment) { $1 }).exitCode == 74)

        let several = try FakeSerialPorts([FakeSerialPorts.cp2102("ttyUSB0", serial: "A1"), FakeSerialPorts.cp2102("ttyUSB1", serial: "B2", target: pty),
                                           FakeSerialPorts.usbSerialJTAG()])
        let envSeveral = base.merging(several.environment) { $1 }.merging(["ESPTOOL_BEFORE": "no-reset"]) { $1 }
        let ambiguous = try CLI.run(["read-mac"], environment: envSeveral)
        #expect(ambiguous.exitCode == 64)
        for name in ["ttyUSB0", "ttyUSB1", "ttyACM0"] { #expect(ambiguous.stderr.contains(several.dev + "/" + name), "\(ambiguous.stderr)") }
        #expect(ambiguous.stderr.contains("--port-filter"))
        let filtered = try CLI.run(["--port-filter", "vid=0x10C4", "serial=b2", "read-mac"], environment: envSeveral)
        #expect(filtered.exitCode == 0, "\(filtered.stderr)")
        #expect(filtered.stderr.contains("using \(several.dev)/ttyUSB1"))
        let comma = try CLI.run(["read-mac", "--port-filter", "vid=0x10c4,serial=B2"], environment: envSeveral)
        #expect(comma.exitCode == 0, "\(comma.stderr)")
        let badFilter = try CLI.run(["read-mac", "--port-filter", "colour=red"], environment: envSeveral)
        #expect(badFilter.exitCode == 64 && badFilter.stderr.contains("unknown key 'colour'"))
    }

    @Test("list-ports: every real port with VID:PID, serial, maker, product and kind; --json; --port-filter")
    func listPorts() throws {
        let ports = try FakeSerialPorts([FakeSerialPorts.other(), FakeSerialPorts.cp2102(), FakeSerialPorts.usbSerialJTAG(),
                                         FakeSerialPorts.Port(name: "ttyUSB3", driver: .usbSerial, vid: "1a86", pid: "55d4", serial: nil, product: "USB Single Serial", manufacturer: nil),
                                         FakeSerialPorts.Port(name: "ttyACM1", driver: .cdcACM, vid: "303a", pid: "0002", serial: "0", product: "ESP32-S2", manufacturer: "Espressif"),
                                         FakeSerialPorts.Port(name: "ttyS0", driver: .pnp), FakeSerialPorts.Port(name: "ttyS5", driver: .platform)])
        let text = try CLI.run(["list-ports"], environment: ports.environment)
        #expect(text.exitCode == 0)
        let lines = text.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.count == 6, "\(text.stdoutText)")  // ttyS5 (platform) and tty0 (no device) are not ports
        #expect(lines.first?.contains("ttyACM0") == true, "Espressif ports first")
        #expect(text.stdoutText.contains("* \(ports.dev)/ttyUSB0  Silicon Labs CP210x UART bridge (CP2102/CP2102N/CP2104), 10C4:EA60, serial 0001, \"Silicon Labs CP2102N USB to UART Bridge Controller\""))
        #expect(text.stdoutText.contains("WCH CH34x/CH910x UART bridge (CH9102), 1A86:55D4"))
        #expect(text.stdoutText.contains("Espressif USB-OTG CDC (ROM download) of an ESP32-S2"))
        #expect(text.stdoutText.contains("  \(ports.dev)/ttyUSB7  USB serial device, 2341:0043"))
        let json = try CLI.run(["list-ports", "--json"], environment: ports.environment)
        let array = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [[String: Any]])
        let jtag = try #require(array.first { $0["name"] as? String == "ttyACM0" })
        #expect(jtag["vid"] as? String == "0x303A" && jtag["pid"] as? String == "0x1001" && jtag["kind"] as? String == "usb_serial_jtag")
        #expect(jtag["serial_number"] as? String == "7C:DF:A1:00:11:22" && jtag["esp_candidate"] as? Bool == true)
        #expect(array.first { $0["name"] as? String == "ttyS0" }?["kind"] as? String == "other")
        let filtered = try CLI.run(["--port-filter", "vid=0x303A", "list-ports", "--json"], environment: ports.environment)
        let kept = try #require(try JSONSerialization.jsonObject(with: filtered.stdout) as? [[String: Any]])
        #expect(kept.compactMap { $0["name"] as? String }.sorted() == ["ttyACM0", "ttyACM1"])
    }

    @Test("every command's --help names esptool's spelling or the tool it replaces, and shows an example")
    func helpNamesEsptool() throws {
        let commands = ["write-flash", "read-flash", "verify-flash", "erase-region", "erase-flash", "read-mac", "flash-id", "chip-id",
                        "get-security-info", "read-mem", "write-mem", "dump-mem", "read-flash-status", "write-flash-status", "read-flash-sfdp",
                        "load-ram", "run", "version", "merge-bin", "image-info"]
        for command in commands {
            let help = try CLI.run([command, "--help"])
            #expect(help.exitCode == 0)
            let underscored = command.replacingOccurrences(of: "-", with: "_")
            let expected = command.contains("-") ? "esptool: \(command) (v4: \(underscored))" : "esptool: \(command)"
            #expect(help.stdoutText.replacingOccurrences(of: "\n", with: " ").contains(expected), "\(command): \(help.stdoutText.prefix(300))")
            #expect(help.stdoutText.contains("Examples:") || help.stdoutText.contains("Example"), "\(command)")
        }
        for command in ["board-info", "list-ports", "partition-table", "nvs", "factory-param", "ble-service", "pki", "emulate"] {
            let help = try CLI.run([command, "--help"])
            #expect(help.stdoutText.replacingOccurrences(of: "\n", with: " ").contains("Replaces:"), "\(command)")
        }
        #expect(try CLI.run(["write-flash", "--help"]).stdoutText.contains("--flash_mode"), "option spellings esptool v4 used")
    }

    @Test("device commands' --json events and every inspect command's --json use snake_case keys only")
    func snakeCaseEverywhere() throws {
        let dir = try CLI.temporaryDirectory()
        let images = CLI.fixture("images")
        var documents: [(String, Any)] = []
        let runs: [[String]] = [
            ["image-info", images + "/bootloader_esp32_v5_2.bin", "--json"],
            ["image-info", images + "/app_esp32_esp-at.bin", "--json"],
            ["partition-table", CLI.fixture("esp-idf-build/hello_world/build/partition_table/partition-table.bin"), "--json"],
            ["board-info", "-p", "virtual://esp32s3", "--json"],
            ["read-flash-sfdp", "-p", "virtual://esp32", "0", "8", "--json"],
            ["get-security-info", "-p", "virtual://esp32c3", "--json"],
            ["write-flash-status", "-p", "virtual://esp32", "--bytes", "1", "0", "--json"],
        ]
        for arguments in runs {
            let run = try CLI.run(arguments)
            #expect(run.exitCode == 0, "\(arguments): \(run.stderr)")
            if arguments.contains("-p") {
                for event in try ndjsonEvents(run) { documents.append((arguments[0], event)) }
            } else {
                documents.append((arguments[0], try JSONSerialization.jsonObject(with: run.stdout)))
            }
        }
        // Inspect commands whose inputs the other tests make: NVS, BLE services, PKI, factory_param.
        let nvsCSV = dir + "/nvs.csv"
        try "key,type,encoding,value\nstorage,namespace,,\nserial,data,string,ABC123\ncount,data,u32,7\n".write(toFile: nvsCSV, atomically: true, encoding: .utf8)
        #expect(try CLI.run(["nvs", "generate", nvsCSV, dir + "/nvs.bin", "0x3000"]).exitCode == 0)
        let worked = CLI.fixture("esp-at/worked-example")
        #expect(try CLI.run(["ble-service", "build", worked + "/ble_services.csv", "-o", dir + "/ble.bin"]).exitCode == 0)
        #expect(try CLI.run(["pki", "build", "-o", dir + "/cert.bin", "cert", worked + "/server.crt"]).exitCode == 0)
        #expect(try CLI.run(["factory-param", "build", "--types", worked + "/factory_param_type.csv", "--data", worked + "/factory_param_data.csv",
                             "--platform", "PLATFORM_ESP32", "--module", "WROOM-32", "-o", dir + "/fp.bin"]).exitCode == 0)
        for arguments in [["nvs", "inspect", dir + "/nvs.bin", "--json"], ["ble-service", "inspect", dir + "/ble.bin", "--json"],
                          ["pki", "inspect", dir + "/cert.bin", "--json"], ["factory-param", "inspect", dir + "/fp.bin", "--json"]] {
            let run = try CLI.run(arguments)
            #expect(run.exitCode == 0, "\(arguments): \(run.stderr)")
            documents.append((arguments[0], try JSONSerialization.jsonObject(with: run.stdout)))
        }
        func keys(_ value: Any) -> [String] {
            if let object = value as? [String: Any] { return object.keys + object.values.flatMap(keys) }
            if let array = value as? [Any] { return array.flatMap(keys) }
            return []
        }
        for (command, document) in documents {
            let bad = keys(document).filter { key in !key.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" } }
            #expect(bad.isEmpty, "\(command): keys not in snake_case: \(Set(bad).sorted())")
        }
        #expect(documents.count > 20)
    }
}
