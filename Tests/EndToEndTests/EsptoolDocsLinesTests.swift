import Foundation
import ImageFormats
import TestSupport
import Testing

/// esptool 5.x's own documentation, run as typed (Fixtures/esptool-docs/command-lines.tsv: every command line of
/// its docs that talks to a chip or makes an image, with the file and line it came from). Only the program name
/// (`esptool`, `esptool.py`, `python -m esptool`) and the port (the value after `-p`/`--port`; lines without one get
/// it from `ESPTOOL_PORT`, as esptool users set it) are replaced; the docs' `{IDF_TARGET_*}` placeholders are
/// rendered for the line's target as the published ESP32 pages render them. Each line runs against an emulated
/// chip served by `emulate` over socket://, in file order, one chip for the whole run (so `write-mem` then
/// `read-mem` see the same RAM). Every line using a command this tool has must exit 0 and do what the docs say:
/// written flash is read back and compared (with the header patch esptool applies), outputs are checked, and
/// merge-bin's outputs equal esptool 5.6.0's for the same line.
@Suite("esptool's documented command lines, run verbatim against the emulated chip")
struct EsptoolDocsLinesTests {
    struct Line {
        var source: String
        var target: String
        var kind: String
        var text: String
    }

    static func lines() throws -> [Line] {
        let text = String(decoding: try CLI.read(CLI.fixture("esptool-docs/command-lines.tsv")), as: UTF8.self)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { row in
            let cells = row.split(separator: "\t", maxSplits: 3).map(String.init)
            return Line(source: cells[0], target: cells[1], kind: cells[2], text: cells[3])
        }
    }

    /// The docs' placeholders as the ESP32 / ESP32-S3 pages render them.
    static func render(_ text: String, target: String) -> String {
        text.replacingOccurrences(of: "{IDF_TARGET_NAME}", with: target)
            .replacingOccurrences(of: "{IDF_TARGET_PATH_NAME}", with: target)
            .replacingOccurrences(of: "{IDF_TARGET_BOOTLOADER_OFFSET}", with: target == "esp32" ? "0x1000" : "0x0")
    }

    /// Splits a documented line into its environment prefix, the esptool arguments and the port given (if any).
    static func invocation(_ text: String, port: String) -> (environment: [String: String], arguments: [String], hadPort: Bool) {
        var words = shellWords(text)
        if words.first == "$" { words.removeFirst() }
        var environment: [String: String] = [:]
        while let first = words.first, first.contains("="), !first.hasPrefix("-") {
            let kv = first.split(separator: "=", maxSplits: 1).map(String.init)
            environment[kv[0]] = kv[1]
            words.removeFirst()
        }
        if words.starts(with: ["python", "-m", "esptool"]) { words.removeFirst(3) } else { words.removeFirst() }  // esptool / esptool.py
        var hadPort = false
        for i in words.indices.dropLast() where words[i] == "-p" || words[i] == "--port" {
            words[i + 1] = port
            hadPort = true
        }
        return (environment, words, hadPort)
    }

    static func shellWords(_ text: String) -> [String] {
        var words: [String] = [], current = "", inWord = false, quote: Character?
        for c in text {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c
                inWord = true
            } else if c == " " {
                if inWord { words.append(current); current = ""; inWord = false }
            } else {
                current.append(c)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    /// The documented input files, in a copy of the ESP-IDF build fixture (the project folder the docs' `build/...`
    /// paths are relative to).
    static func makeProject() throws -> String {
        let root = try CLI.temporaryDirectory()
        let project = root + "/hello_world"
        try FileManager.default.copyItem(atPath: CLI.fixture("esp-idf-build/hello_world"), toPath: project)
        var rng = SplitMix64(seed: 0xD0C5)
        func random(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 17) | 0x01 } }
        let randomFiles: [(String, Int)] = [("my_app-0x01000.bin", 3000), ("my_app.elf-0x00000.bin", 2000), ("my_app.elf-0x40000.bin", 5000),
                                            ("app.bin", 40_000), ("assets.bin", 8192), ("old_boot.bin", 128), ("old_assets.bin", 8192),
                                            ("image.bin", 4096), ("firmware.bin", 10_000)]
        for (name, size) in randomFiles { try writeFile(random(size), project + "/" + name) }
        // The bootloader the docs flash at 0x0 before an app at 0x1000 must fit one sector: esptool's RAM hello-world
        // image for the ESP32 (a valid ESP32 image, 128 bytes).
        try FileManager.default.copyItem(atPath: CLI.fixture("images/ram_helloworld/helloworld-esp32.bin"), toPath: project + "/bootloader.bin")
        try FileManager.default.createDirectory(atPath: project + "/test/images", withIntermediateDirectories: true)
        // load-ram's example names esptool's ESP8266 hello-world; the emulated chip is an ESP32, so its ESP32 sibling
        // from the same esptool folder stands in under the documented name.
        try FileManager.default.copyItem(atPath: CLI.fixture("images/ram_helloworld/helloworld-esp32.bin"), toPath: project + "/test/images/helloworld-esp8266.bin")
        try FileManager.default.copyItem(atPath: CLI.fixture("images/app_esp32_esp-at.bin"), toPath: project + "/my_esp_app.bin")
        try FileManager.default.copyItem(atPath: project + "/build/partition_table/partition-table.bin", toPath: project + "/partition-table.bin")
        for (name, seed) in [("my_app.bin", "11"), ("new_app.bin", "12"), ("old_app.bin", "13")] {
            let made = try CLI.run(["image", "make-app", "--chip", "esp32", "--project-name", name, "--seed", seed, "-o", project + "/" + name])
            #expect(made.exitCode == 0, "\(made.stderr)")
        }
        return project
    }

    /// Flash regions a writing line must leave behind: the files as esptool writes them (a header patched when
    /// the line gives -fm/-ff/-fs and the file is an image at the ESP32's bootloader offset 0x1000).
    static func expectedRegions(_ arguments: [String], cwd: String, detectedSize: String = "4MB") throws -> [(Int, [UInt8])] {
        var words = arguments
        if let at = words.firstIndex(where: { $0.hasPrefix("@") }) {
            let path = cwd + "/" + words[at].dropFirst()
            words.replaceSubrange(at...at, with: String(decoding: try CLI.read(path), as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        }
        guard let command = words.firstIndex(where: { ["write-flash", "write_flash"].contains($0) }) else { return [] }
        var settings = FlashSettings()
        var pairs: [(Int, String)] = []
        var i = command + 1
        while i < words.count {
            let word = words[i]
            switch word {
            case "--flash-mode", "--flash_mode", "-fm": settings.mode = FlashMode(name: words[i + 1]); i += 2
            case "--flash-freq", "--flash_freq", "-ff": settings.frequency = FlashFrequency(name: words[i + 1]); i += 2
            case "--flash-size", "--flash_size", "-fs":
                let value = words[i + 1] == "32m" ? "4MB" : words[i + 1] == "detect" ? detectedSize : words[i + 1]
                settings.size = FlashSize(name: value)
                i += 2
            case "--diff-with":
                i += 1
                while i < words.count, !words[i].hasPrefix("-") { i += 1 }
            default:
                if word.hasPrefix("-") { i += 1; continue }
                if let address = IntegerText.sizeOrAddress(word), i + 1 < words.count {
                    pairs.append((address, words[i + 1]))
                    i += 2
                } else {
                    i += 1
                }
            }
        }
        return try pairs.map { address, path in
            let bytes = Array(try CLI.read(path.hasPrefix("/") ? path : cwd + "/" + path))
            let patched = settings.keepsEverything ? bytes : try settings.patch(bytes, at: address, chip: .esp32).bytes
            return (address, patched)
        }
    }

    @Test("at least 40 documented lines; each one with a command this tool has exits 0 and does what the docs say")
    func documentedLinesRun() throws {
        let lines = try Self.lines()
        #expect(lines.count >= 40)
        #expect(lines.filter { $0.kind == "run" }.count >= 40)
        let project = try Self.makeProject()
        let home = try CLI.temporaryDirectory()  // no esptool.cfg of the machine's user
        var servers: [String: (process: BackgroundProcess, port: String)] = [:]
        func server(_ target: String) throws -> String {
            if let running = servers[target] { return running.port }
            let started = try BackgroundProcess.emulator(chip: target, flashFile: project + "/../flash-\(target).bin")
            servers[target] = started
            return started.port
        }
        defer { for (_, s) in servers { s.process.stop() } }
        let esptool = try ToolEnvironment.executable("esptool")

        for line in lines {
            let port = try server(line.target)
            let rendered = Self.render(line.text, target: line.target)
            let (environment, arguments, _) = Self.invocation(rendered, port: port)
            let cwd = rendered.contains("@flash_args") && !rendered.contains("merge-bin") ? project + "/build"
                : rendered.contains("merge-bin -o merged-flash.bin @flash_args") ? project + "/build" : project
            let run = try CLI.run(arguments, environment: environment.merging(["ESPTOOL_PORT": port, "HOME": home]) { $1 }, cwd: cwd)
            let context = "\(line.source): \(rendered)\n\(run.stderr)"
            if line.kind == "unsupported" {
                #expect(run.exitCode == 64, "\(context)")
                #expect(run.stderr.contains("unknown command"), "\(context)")
                continue
            }
            #expect(run.exitCode == 0, "\(context)")
            try check(line, rendered: rendered, arguments: arguments, run: run, cwd: cwd, port: port, esptool: esptool)
            if arguments.contains("load-ram") {
                // The chip now runs the loaded program: its loader is gone until it is reset.
                let silent = try CLI.run(["read-mac", "-p", port, "--connect-attempts", "1"])
                #expect(silent.exitCode == 1, "after load-ram the loader must not answer: \(silent.stderr)")
                servers.removeValue(forKey: line.target)?.process.stop()
            }
        }
    }

    /// What each documented command must have done, beyond exiting 0.
    func check(_ line: Line, rendered: String, arguments: [String], run: CLIResult, cwd: String, port: String, esptool: String?) throws {
        let context = "\(line.source): \(rendered)"
        let out = run.stdoutText
        let commands: Set<String> = ["write-flash", "write_flash", "read-flash", "erase-flash", "erase-region", "read-mac", "chip-id", "chip_id",
                                     "flash-id", "image-info", "merge-bin", "verify-flash", "dump-mem", "load-ram", "write-mem", "read-mem",
                                     "read-flash-status", "write-flash-status", "read-flash-sfdp", "get_security_info", "get-security-info"]
        let command = arguments.first { commands.contains($0) } ?? ""
        switch command {
        case "write-flash", "write_flash":
            let regions = try Self.expectedRegions(arguments, cwd: cwd)
            #expect(!regions.isEmpty, "\(context)")
            for (address, bytes) in regions {
                let back = cwd + "/readback.bin"
                let read = try CLI.run(["read-flash", "-p", port, "0x" + String(address, radix: 16), String(bytes.count), back])
                #expect(read.exitCode == 0, "\(context): \(read.stderr)")
                #expect(Array(try CLI.read(back)) == bytes, "\(context): flash at 0x\(String(address, radix: 16)) differs")
            }
            if arguments.contains("-s") { #expect(out.isEmpty, "\(context): -s (silent) printed \(out)") }
        case "read-flash":
            let output = cwd + "/" + arguments.last!
            let size = Array(try CLI.read(output)).count
            #expect(size == (arguments.contains("ALL") ? 4 << 20 : 0x200000), "\(context)")
        case "erase-flash":
            let back = cwd + "/erased.bin"
            #expect(try CLI.run(["read-flash", "-p", port, "0x10000", "0x1000", back]).exitCode == 0)
            #expect(Array(try CLI.read(back)).allSatisfy { $0 == 0xFF }, "\(context)")
        case "erase-region":
            let back = cwd + "/erased.bin"
            #expect(try CLI.run(["read-flash", "-p", port, "0x20000", "0x4000", back]).exitCode == 0)
            #expect(Array(try CLI.read(back)).allSatisfy { $0 == 0xFF }, "\(context)")
        case "read-mac", "chip-id", "chip_id":
            #expect(out.contains("MAC:") && out.contains("24:0a:c4:5e:00:"), "\(context): \(out)")
        case "flash-id":
            #expect(out.contains("Manufacturer: ef") && out.contains("Device: 4016") && out.contains("Detected flash size: 4MB"), "\(context): \(out)")
        case "image-info":
            #expect(out.contains("Detected image type: ESP32") && out.contains("Checksum:"), "\(context)")
        case "merge-bin":
            guard let esptool else { break }
            let output = arguments[arguments.firstIndex(of: "-o")! + 1]
            var theirs = arguments
            theirs[theirs.firstIndex(of: "-o")! + 1] = "esptool-" + output
            let reference = try runProcess(esptool, theirs, cwd: cwd, timeout: 120)
            #expect(reference.status == 0, "\(context): esptool: \(String(decoding: reference.stderr, as: UTF8.self))")
            #expect(try CLI.read(cwd + "/" + output) == CLI.read(cwd + "/esptool-" + output), "\(context): differs from esptool's output")
        case "verify-flash":
            #expect(out.contains("verified"), "\(context)")
        case "dump-mem":
            let dump = Array(try CLI.read(cwd + "/iram0.bin"))
            #expect(dump.count == 0x10000)
            #expect(Array(dump[0x1000..<0x1004]) == [0x83, 0x1D, 0xF0, 0x00], "\(context): the ESP32 ROM's chip magic word at 0x40001000")
        case "load-ram":
            #expect(out.contains("executing at 0x4008c008"), "\(context): \(out)")
        case "write-mem":
            #expect(out.contains("0xabad1dea"), "\(context)")
        case "read-mem":
            #expect(out.contains("0x400c0000 = 0xabad1dea"), "\(context): write-mem's word must still be there: \(out)")
        case "read-flash-status":
            #expect(out.contains("Flash memory status: 0x"), "\(context)")
        case "write-flash-status":
            #expect(out.contains("After flash memory status:   0x0000"), "\(context): \(out)")
        case "read-flash-sfdp":
            #expect(out.contains("Flash memory SFDP[16..19]: 0xff 0xff 0xff 0xff"), "\(context): \(out)")
        case "get_security_info", "get-security-info":
            #expect(out.contains("Security Information:") && out.contains("Chip ID: 9"), "\(context)")
            #expect(run.stderr.contains("Deprecated: Command 'get_security_info'"), "\(context)")
        default:
            if arguments.contains("-h") { #expect(out.contains("USAGE: espflash-swift"), "\(context)") } else { Issue.record("\(context): no check for '\(command)'") }
        }
    }
}
