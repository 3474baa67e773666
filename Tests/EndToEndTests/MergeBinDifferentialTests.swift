import Foundation
import ImageFormats
import TestSupport
import Testing

/// Seeded random merge-bin cases run through esptool 5.6.0 (one Python process, Tools/esptool-batch.py) and
/// through espflash-swift; outputs must be byte-identical. Where esptool writes a wrong file silently (content
/// past --pad-to-size, a bootloader that grows into the next file) this tool must refuse instead.
@Suite struct MergeBinDifferentialTests {
    static let seed: UInt64 = 0x5EED_0005
    static let caseCount = 160
    static let images = ["bootloader_esp32.bin", "bootloader_esp32_v5_2.bin", "bootloader_esp32c3.bin",
                         "esp32c3_header_min_rev.bin", "esp_idf_blink_esp32s2.bin"]
    static let padChoices = ["256KB", "512KB", "1MB", "2MB", "4MB"]

    struct Case {
        var id: String
        var chip: Chip
        /// Options after `merge-bin`, shared by both tools (same spellings).
        var options: [String]
        var pairs: [(address: Int, path: String)]
        var output: String
    }

    /// Writes every case's inputs under `dir` and returns the cases.
    static func makeCases(in dir: String) throws -> [Case] {
        var rng = SplitMix64(seed: seed)
        let realImages = try images.map { try CLI.read(CLI.fixture("images/" + $0)) }.map { [UInt8]($0) }
        var cases: [Case] = []
        for n in 0..<caseCount {
            let id = "case\(n)"
            let chip = Chip.all.randomElement(using: &rng)!
            let format = rng.chance(0.6) ? "raw" : (rng.chance(0.5) ? "hex" : "uf2")
            var options = ["--chip", chip.name, "-o", "\(dir)/\(id).out", "--format", format]
            var pairs: [(Int, String)] = []
            var files: [(Int, [UInt8])] = []
            var cursor = Int.random(in: 0...16, using: &rng) * 0x1000
            if rng.chance(0.7) {
                var image = realImages.randomElement(using: &rng)!
                switch Int.random(in: 0..<10, using: &rng) {
                case 0: image = Array(image.prefix(image.count / 2))                  // truncated: not a valid image
                case 1: image += rng.bytes(Int.random(in: 1...3000, using: &rng))       // merged-style trailing data
                case 2: if image[23] == 1, let parsed = try? FirmwareImage(parsing: image) {
                            image = Array(image.prefix(parsed.dataLength))             // digest missing: it gets appended
                        }
                case 3: image = [0xE9] + rng.bytes(Int.random(in: 7...200, using: &rng)) // magic, then garbage
                default: break
                }
                files.append((chip.bootloaderOffset, image))
                cursor = max(cursor, chip.bootloaderOffset + image.count)
            }
            for _ in 0..<Int.random(in: (files.isEmpty ? 1 : 0)...5, using: &rng) {
                var address = (cursor + 0xFFF) & ~0xFFF
                address += Int.random(in: 0...8, using: &rng) * 0x1000
                if rng.chance(0.15) { address += Int.random(in: 1...0xFFF, using: &rng) }
                if rng.chance(0.03), let last = files.last {
                    // Both refuse: bytes overlap, or the file starts in the sector the previous one ends in.
                    address = rng.chance(0.5) ? last.0 + last.1.count / 2 : last.0 + last.1.count + 4
                }
                let size: Int
                switch Int.random(in: 0..<10, using: &rng) {
                case 0: size = 0
                case 1...4: size = Int.random(in: 1...600, using: &rng)
                case 5...8: size = Int.random(in: 600...20_000, using: &rng)
                case 9 where rng.chance(0.2): size = Int.random(in: 300_000...600_000, using: &rng)
                default: size = Int.random(in: 20_000...150_000, using: &rng)
                }
                var data = rng.bytes(size)
                if data.first == UInt8(ascii: ":") { data[0] = 0 }  // esptool would try to read it as Intel HEX
                files.append((address, data))
                cursor = max(cursor, address + size)
            }
            for (k, file) in files.enumerated() {
                let path = "\(dir)/\(id)-\(k).bin"
                try Data(file.1).write(to: URL(fileURLWithPath: path))
                pairs.append((file.0, path))
            }
            if rng.chance(0.7) { options += ["-fm", (["keep"] + FlashMode.allCases.map(\.rawValue)).randomElement(using: &rng)!] }
            if rng.chance(0.7) {
                let own = chip.flashFrequencies.map(\.name)
                options += ["-ff", rng.chance(0.85) ? own.randomElement(using: &rng)! : FlashFrequency.choices.map(\.name).randomElement(using: &rng)!]
            }
            if rng.chance(0.7) {
                options += ["-fs", rng.chance(0.9) ? FlashSize.table.filter { $0.headerCode != nil }.map(\.name).randomElement(using: &rng)! : "keep"]
            }
            let first = pairs.map(\.0).min() ?? 0
            if rng.chance(0.25) {
                let target = rng.chance(0.9) ? (first / 0x1000 == 0 ? 0 : Int.random(in: 0...(first / 0x1000), using: &rng) * 0x1000)
                                             : first + 0x1000
                options += ["--target-offset", "0x" + String(target, radix: 16)]
            }
            if format == "raw", rng.chance(0.5) {
                let needed = cursor
                let fitting = padChoices.filter { IntegerText.sizeOrAddress($0)! >= needed }
                let tooSmall = padChoices.filter { IntegerText.sizeOrAddress($0)! < needed }
                let pad = rng.chance(0.8) && !fitting.isEmpty || tooSmall.isEmpty
                    ? fitting.randomElement(using: &rng)! : tooSmall.randomElement(using: &rng)!
                options += ["--pad-to-size", pad]
            }
            if format == "uf2" {
                if rng.chance(0.3) { options.append("--md5-disable") }
                if rng.chance(0.2) { options += ["--chunk-size", "256"] }
            }
            cases.append(Case(id: id, chip: chip, options: options, pairs: pairs, output: "\(dir)/\(id).out"))
        }
        return cases
    }

    @Test func sameBytesAsEsptool() throws {
        guard let python = try ToolEnvironment.executable("python") else { return }
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases = try Self.makeCases(in: dir)

        // esptool: all cases in one Python process; outputs renamed aside so ours can use the same names.
        let esptoolDir = dir + "/esptool"
        try FileManager.default.createDirectory(atPath: esptoolDir, withIntermediateDirectories: true)
        let batch = cases.map { c -> [String: Any] in
            let opts = c.options.map { $0 == c.output ? esptoolDir + "/" + c.id + ".out" : $0 }
            let chipArgs = Array(opts[0..<2]), rest = Array(opts[2...])
            return ["id": c.id, "argv": chipArgs + ["merge-bin"] + rest + c.pairs.flatMap { ["0x" + String($0.address, radix: 16), $0.path] }]
        }
        try JSONSerialization.data(withJSONObject: batch).write(to: URL(fileURLWithPath: dir + "/cases.json"))
        let driver = CLI.packageRoot.appendingPathComponent("Tools/esptool-batch.py").path
        let ran = try runTool(python, [driver, dir + "/cases.json", dir + "/results.json"])
        try #require(ran.status == 0, "esptool batch failed: \(ran.stderr)")
        let results = try JSONSerialization.jsonObject(with: CLI.read(dir + "/results.json")) as! [String: [String: Any]]

        var identical = 0, bothRefused = 0, saferRefusals = 0
        for c in cases {
            let ours = try CLI.run(["merge-bin"] + c.options + c.pairs.flatMap { ["0x" + String($0.address, radix: 16), $0.path] })
            let theirs = results[c.id]!
            let theirsOK = theirs["ok"] as! Bool
            let theirPath = esptoolDir + "/" + c.id + ".out"
            let detail = "\(c.id): espflash-swift merge-bin \(c.options.joined(separator: " ")) pairs \(c.pairs.map { "0x" + String($0.address, radix: 16) })"
            switch (ours.exitCode == 0, theirsOK) {
            case (true, true):
                let same = try CLI.read(c.output) == CLI.read(theirPath)
                #expect(same, "\(detail): output differs from esptool's")
                if same { identical += 1 }
            case (false, false):
                #expect(ours.exitCode == 2 || ours.exitCode == 64, "\(detail): \(ours.stderr)")
                // Refused for the same reason.
                let theirError = theirs["error"] as? String ?? ""
                for phrase in ["overlap", "target offset", "Flash frequency", "Flash size"] where theirError.contains(phrase) {
                    #expect(ours.stderr.contains(phrase), "\(detail): esptool: \(theirError) ours: \(ours.stderr)")
                }
                #expect(!FileManager.default.fileExists(atPath: c.output), "\(detail): output left behind after an error")
                bothRefused += 1
                if ProcessInfo.processInfo.environment["ESPFLASH_DIFF_VERBOSE"] != nil {
                    print("\(c.id) refused by both:\n  ours: \(ours.stderr.split(separator: "\n").first ?? "")\n  esptool: \((theirs["error"] as? String ?? "").suffix(200))")
                }
            case (false, true):
                // Only the documented refusals, and only where esptool's file really is wrong.
                if ours.stderr.contains("ends past --pad-to-size"), let padIndex = c.options.firstIndex(of: "--pad-to-size") {
                    let pad = IntegerText.sizeOrAddress(c.options[padIndex + 1])!
                    let target = c.options.firstIndex(of: "--target-offset").map { IntegerText.sizeOrAddress(c.options[$0 + 1])! } ?? 0
                    #expect(try CLI.read(theirPath).count > pad - target, "\(detail)")
                    saferRefusals += 1
                } else if ours.stderr.contains("grows to") {
                    saferRefusals += 1
                } else {
                    Issue.record("\(detail): espflash-swift refused but esptool did not: \(ours.stderr)")
                }
            case (true, false):
                Issue.record("\(detail): esptool refused (\(theirs["error"] ?? "")) but espflash-swift wrote a file")
            }
        }
        print("merge-bin vs esptool: \(identical) identical, \(bothRefused) refused by both, \(saferRefusals) refused only here")
        #expect(identical >= 100, "only \(identical) cases compared byte for byte (\(bothRefused) refused by both, \(saferRefusals) refused only here)")
        #expect(bothRefused >= 3, "the random cases should include some refusals")
    }
}
