import Foundation
import TestSupport
import Testing

/// image-info against esptool 5.6.0: the text must match what esptool printed (Fixtures/images/*.esptool.txt,
/// re-checked against a live esptool when the tools virtualenv is there), and every fact esptool prints must
/// appear with the same value in `--json`.
@Suite struct ImageInfoCLITests {
    static let images = ["bootloader_esp32.bin", "bootloader_esp32_v5_2.bin", "bootloader_esp32c3.bin",
                         "esp32c3_header_min_rev.bin", "esp32s3_header.bin", "esp_idf_blink_esp32s2.bin",
                         "app_esp32_esp-at.bin"]

    static func esptoolText(_ image: String) throws -> String {
        let recorded = String(decoding: try CLI.read(CLI.fixture("images/" + image.replacingOccurrences(of: ".bin", with: ".esptool.txt"))), as: UTF8.self)
        if let esptool = try ToolEnvironment.executable("esptool") {
            let live = try runTool(esptool, ["image-info", CLI.fixture("images/" + image)])
            let withoutBanner = (live.stdout + live.stderr).split(separator: "\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\n")
            #expect(withoutBanner == recorded, "esptool's output for \(image) is not the recorded one")
        }
        return recorded
    }

    @Test(arguments: images)
    func textIsWhatEsptoolPrints(_ image: String) throws {
        let result = try CLI.run(["image-info", CLI.fixture("images/" + image)])
        #expect(result.exitCode == 0)
        #expect(result.stdoutText == (try Self.esptoolText(image)))
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
        let header = json["header"] as! [String: Any], ext = json["extended_header"] as! [String: Any]
        func hex(_ any: Any?) -> String { "0x" + String(any as! Int, radix: 16) }

        #expect(facts["Image size"] == "\(json["size"] as! Int) bytes")
        #expect(facts["Detected image type"] == json["chip_name"] as? String)
        let entry = header["entry_point"] as! Int
        if entry == 0 { #expect(text.contains("Entry point not set")) } else { #expect(facts["Entry point"] == hex(entry)) }
        #expect(facts["Segments"] == String((json["segments"] as! [Any]).count))
        #expect(facts["Flash size"] == header["flash_size"] as? String)
        #expect(facts["Flash freq"] == header["flash_freq"] as? String)
        #expect(facts["Flash mode"] == (header["flash_mode"] as? String)?.uppercased())
        #expect(facts["WP pin"] == hex(ext["wp_pin"]) + ((ext["wp_pin_disabled"] as! Bool) ? " (disabled)" : ""))
        #expect(facts["Chip ID"] == "\(ext["chip_id"] as! Int) (\(ext["chip_id_name"] as! String))")
        #expect(facts["Minimal chip revision"] == "\(ext["min_revision"] as! String), (legacy min_rev = \(ext["legacy_min_revision"] as! Int))")
        #expect(facts["Maximal chip revision"] == ext["max_revision"] as? String)

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
