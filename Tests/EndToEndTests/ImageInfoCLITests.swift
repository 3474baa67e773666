import Foundation
import TestSupport
import Testing

/// image-info against esptool 5.6.0 on every file of esptool's own test/images folder (copied into Fixtures/images,
/// with two ESP8266 v2 images made here): exit status, text and warnings as esptool's, which are recorded in
/// Fixtures/images/image-info (Tools/record-image-info.sh) and re-checked against a live esptool when the tools
/// virtualenv is there; every fact esptool prints must also appear with the same value in `--json`.
@Suite struct ImageInfoCLITests {
    /// Every file under Fixtures/images (paths relative to it), the recorded outputs and the README aside.
    static let allFiles: [String] = {
        let root = CLI.fixture("images")
        let found = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        return found.filter { path in
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory)
            return !isDirectory.boolValue && !path.hasPrefix("image-info/") && path != "README.md"
        }.sorted()
    }()

    /// The files esptool reads as images (exit 0).
    static let images: [String] = allFiles.filter { (try? recorded($0).exit) == 0 }

    struct Recorded { var exit: Int32; var stdout: String; var stderr: String }

    /// What esptool printed for `file`: stdout without its banner, exit status and stderr.
    static func recorded(_ file: String) throws -> Recorded {
        let base = CLI.fixture("images/image-info/" + file)
        let err = String(decoding: try CLI.read(base + ".err"), as: UTF8.self)
        let firstLine = err.prefix { $0 != "\n" }
        return Recorded(exit: Int32(firstLine.dropFirst(5)) ?? -1, stdout: String(decoding: try CLI.read(base + ".txt"), as: UTF8.self),
                        stderr: String(err.dropFirst(firstLine.count + 1)))
    }

    static func esptoolText(_ image: String) throws -> String { try recorded(image).stdout }

    @Test func folderIsComplete() {
        #expect(Self.allFiles.count >= 45, "\(Self.allFiles.count) files")
        for chip in ["esp8266", "esp32c61", "esp32h4", "esp32p4"] {
            #expect(Self.images.contains { $0.contains(chip) }, "no \(chip) image among \(Self.images)")
        }
    }

    /// The recorded outputs are what esptool 5.6.0 prints (one Python process for all files).
    @Test func recordedOutputsAreEsptoolsOwn() throws {
        guard let python = try ToolEnvironment.executable("python") else { return }
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases = Self.allFiles.map { ["id": $0, "argv": ["image-info", CLI.fixture("images/" + $0)]] as [String: Any] }
        try JSONSerialization.data(withJSONObject: cases).write(to: URL(fileURLWithPath: dir + "/cases.json"))
        let ran = try runTool(python, [CLI.packageRoot.appendingPathComponent("Tools/esptool-batch.py").path, dir + "/cases.json", dir + "/results.json"])
        try #require(ran.status == 0, "\(ran.stderr)")
        let results = try #require(try JSONSerialization.jsonObject(with: CLI.read(dir + "/results.json")) as? [String: [String: Any]])
        for file in Self.allFiles {
            let live = try #require(results[file]), recorded = try Self.recorded(file)
            #expect(Int32(live["exit"] as! Int) == recorded.exit, "\(file)")
            if recorded.exit == 0 {
                let stdout = (live["stdout"] as! String).split(separator: "\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\n")
                #expect(stdout == recorded.stdout, "\(file)")
                #expect(live["stderr"] as? String == recorded.stderr, "\(file)")
            } else {
                let message = (live["error"] as! String).replacingOccurrences(of: "FatalError: ", with: "")
                #expect(recorded.stderr.contains(message), "\(file): \(message)")
            }
        }
    }

    @Test(arguments: allFiles)
    func sameAnswerAsEsptool(_ file: String) throws {
        let recorded = try Self.recorded(file)
        let result = try CLI.run(["image-info", CLI.fixture("images/" + file)])
        #expect(result.exitCode == recorded.exit, "\(file): \(result.stderr)")
        if recorded.exit == 0 {
            #expect(result.stdoutText == recorded.stdout, "\(file)")
            // esptool's WARNING lines, each as one `warning:` line of ours with the same text.
            let warnings = recorded.stderr.split(separator: "\n").filter { $0.hasPrefix("WARNING: ") }.map { $0.dropFirst(9) }
            #expect(result.stderr.split(separator: "\n").count == warnings.count, "\(file): \(result.stderr)")
            for warning in warnings { #expect(result.stderr.contains(warning), "\(file): \(warning)") }
        } else {
            let reason = recorded.stderr.components(separatedBy: "A fatal error occurred: ").last!.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.hasPrefix("error: ") && result.stderr.contains(reason), "\(file): \(result.stderr) vs \(reason)")
        }
    }

    /// "Key: value" lines of esptool's report, first occurrence wins (ESP-IDF appears twice only in one section).
    static func facts(_ text: String) -> [String: String] {
        var facts: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.range(of: ": ") else { continue }
            let key = String(line[..<colon.lowerBound]), value = String(line[colon.upperBound...])
            if facts[key] == nil { facts[key] = value }
        }
        return facts
    }

    @Test(arguments: images)
    func jsonAgreesWithEsptoolFacts(_ image: String) throws {
        let text = try Self.esptoolText(image)
        let facts = Self.facts(text)
        let result = try CLI.run(["image-info", CLI.fixture("images/" + image), "--json"])
        #expect(result.exitCode == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        let header = json["header"] as! [String: Any], ext = json["extended_header"] as? [String: Any] ?? [:]
        func hex(_ any: Any?) -> String { "0x" + String(any as! Int, radix: 16) }

        #expect(facts["Image size"] == "\(json["size"] as! Int) bytes")
        #expect(facts["Detected image type"] == json["chip_name"] as? String)
        let entry = header["entry_point"] as! Int
        if entry == 0 { #expect(text.contains("Entry point not set")) } else { #expect(facts["Entry point"] == hex(entry)) }
        #expect(facts["Segments"] == String((json["segments"] as! [Any]).count))
        #expect(facts["Flash size"] == header["flash_size"] as? String)
        #expect(facts["Flash freq"] == header["flash_freq"] as? String)
        #expect(facts["Flash mode"] == (header["flash_mode"] as? String)?.uppercased())
        #expect(facts["Image version"] == String(json["image_version"] as! Int))
        if ext.isEmpty {
            #expect(facts["WP pin"] == nil && facts["Chip ID"] == nil, "ESP8266 images have no extended header")
        } else {
            #expect(facts["WP pin"] == hex(ext["wp_pin"]) + ((ext["wp_pin_disabled"] as! Bool) ? " (disabled)" : ""))
            #expect(facts["Chip ID"] == "\(ext["chip_id"] as! Int) (\(ext["chip_id_name"] as! String))")
            #expect(facts["Minimal chip revision"] == "\(ext["min_revision"] as! String), (legacy min_rev = \(ext["legacy_min_revision"] as! Int))")
            #expect(facts["Maximal chip revision"] == ext["max_revision"] as? String)
        }

        // Segment table rows: index, length, load address, file offset, memory types.
        let rows = text.split(separator: "\n", omittingEmptySubsequences: false)
            .drop { !$0.hasPrefix("-------") }.dropFirst().prefix { !$0.isEmpty }
        let segments = json["segments"] as! [[String: Any]]
        #expect(rows.count == segments.count)
        for (row, segment) in zip(rows, segments) {
            let cells = row.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: true).map(String.init)
            #expect(Int(cells[0]) == segment["index"] as? Int)
            #expect(Int(cells[1].dropFirst(2), radix: 16) == segment["length"] as? Int)
            #expect(Int(cells[2].dropFirst(2), radix: 16) == segment["load_address"] as? Int)
            #expect(Int(cells[3].dropFirst(2), radix: 16) == segment["file_offset"] as? Int)
            #expect((cells.count > 4 ? cells[4] : "").trimmingCharacters(in: .whitespaces) == (segment["memory_types"] as! [String]).joined(separator: ", "))
        }

        let checksum = json["checksum"] as! [String: Any]
        #expect(facts["Checksum"] == String(format: "0x%02x", checksum["stored"] as! Int) + ((checksum["valid"] as! Bool) ? " (valid)" : " (invalid - calculated \(String(format: "0x%02x", checksum["computed"] as! Int)))"))
        if let sha = json["sha256"] as? [String: Any] {
            #expect(facts["Validation hash"] == "\(sha["computed"] as! String) (\((sha["valid"] as! Bool) ? "valid" : "invalid"))")
        } else {
            #expect(facts["Validation hash"] == nil)
        }
        if let app = json["app_description"] as? [String: Any] {
            #expect(facts["Project name"] == app["project_name"] as? String)
            #expect(facts["App version"] == app["version"] as? String)
            #expect(facts["Compile time"] == "\(app["compile_date"] as! String) \(app["compile_time"] as! String)")
            #expect(facts["ELF file SHA256"] == app["elf_sha256"] as? String)
            #expect(facts["ESP-IDF"] == app["idf_version"] as? String)
            #expect(facts["Secure version"] == String(app["secure_version"] as! Int))
            #expect(facts["Minimal eFuse block revision"] == app["min_efuse_block_revision"] as? String)
            #expect(facts["Maximal eFuse block revision"] == app["max_efuse_block_revision"] as? String)
        } else {
            #expect(facts["Project name"] == nil)
        }
        if let bootloader = json["bootloader_description"] as? [String: Any] {
            #expect(facts["Bootloader version"] == String(bootloader["version"] as! Int))
            #expect(facts["ESP-IDF"] == bootloader["idf_version"] as? String)
            #expect(facts["Compile time"] == bootloader["compile_time"] as? String)
        } else {
            #expect(facts["Bootloader version"] == nil)
        }
    }

    @Test func truncatedImageIsAClearError() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let full = try CLI.read(CLI.fixture("images/bootloader_esp32c3.bin"))
        let path = dir + "/cut.bin"
        try full.prefix(5000).write(to: URL(fileURLWithPath: path))
        let result = try CLI.run(["image-info", path, "--json"])
        #expect(result.exitCode == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("error: \(path): "))
        #expect(result.stderr.contains("segment 1 at 0x3fcd6114 says 6244 bytes but only 4940 remain"))
    }

    @Test func notAnImage() throws {
        let result = try CLI.run(["image-info", CLI.fixture("merge/combine/in/partition_table/partition-table.bin")])
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("invalid magic number: 0xaa"))
    }

    @Test func missingFileIsAnIOError() throws {
        let result = try CLI.run(["image-info", "/nonexistent/x.bin"])
        #expect(result.exitCode == 74)
    }
}
