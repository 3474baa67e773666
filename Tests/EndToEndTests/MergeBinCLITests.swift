import Foundation
import Testing

@Suite struct MergeBinCLITests {
    static func gunzip(_ path: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        let out = try CLI.temporaryDirectory() + "/x"
        process.arguments = ["-c", "gzip -dc \"$0\" > \"$1\"", path, out]
        try process.run()
        process.waitUntilExit()
        return try CLI.read(out)
    }

    /// reference/esp-at.md §6: esp-at's flash_project_args → the 4 MB factory image all combine tools agree on.
    @Test func espAtCombineVector() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir + "/factory_WROOM-32.bin"
        let result = try CLI.run(["merge-bin", "--chip", "esp32", "-o", out, "--pad-to-size", "4MB",
                                  "--config", CLI.fixture("merge/combine/in/flash_project_args")])
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(try CLI.read(out) == (try Self.gunzip(CLI.fixture("merge/combine/factory_WROOM-32_4MB.bin.gz"))))
        #expect(result.stdoutText.contains("Flash parameters set to 0x0220"))
    }

    @Test func downloadConfigOnOneLineAndCommandLineOverride() throws {
        let dir = try CLI.temporaryDirectory()
        let args = String(decoding: try CLI.read(CLI.fixture("merge/combine/in/flash_project_args")), as: UTF8.self)
        let config = dir + "/download.config"
        // The single line esp-at's build.py writes, with paths made absolute so it can live elsewhere.
        let root = CLI.fixture("merge/combine/in") + "/"
        let line = args.split(separator: "\n").map { l in l.hasPrefix("0x") ? l.replacingOccurrences(of: " ", with: " " + root) : String(l) }
        try line.joined(separator: " ").write(toFile: config, atomically: true, encoding: .utf8)
        let result = try CLI.run(["merge-bin", "--chip", "esp32", "-o", dir + "/a.bin", "--pad-to-size", "4MB", "--config", config])
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(try CLI.read(dir + "/a.bin") == (try Self.gunzip(CLI.fixture("merge/combine/factory_WROOM-32_4MB.bin.gz"))))
        let qio = try CLI.run(["merge-bin", "--chip", "esp32", "-o", dir + "/b.bin", "--config", config, "-fm", "qio"])
        #expect(qio.exitCode == 0)
        let bytes = try CLI.read(dir + "/b.bin")
        #expect(bytes[0x1002] == 0 && bytes[0x1003] == 0x20)
    }

    @Test func overlapNamesBothFilesAndLeavesNoOutput() throws {
        let dir = try CLI.temporaryDirectory()
        let a = dir + "/a.bin", b = dir + "/b.bin", out = dir + "/out.bin"
        try Data(repeating: 1, count: 0x1800).write(to: URL(fileURLWithPath: a))
        try Data(repeating: 2, count: 16).write(to: URL(fileURLWithPath: b))
        let fresh = try CLI.run(["merge-bin", "--chip", "esp32", "-o", out, "0x10000", a, "0x11000", b])
        #expect(fresh.exitCode == 2)
        #expect(fresh.stderr.contains(a) && fresh.stderr.contains(b))
        #expect(!FileManager.default.fileExists(atPath: out))
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: out))
        _ = try CLI.run(["merge-bin", "--chip", "esp32", "-o", out, "0x10000", a, "0x11000", b])
        #expect(try CLI.read(out) == Data("keep me".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["a.bin", "b.bin", "out.bin"])
    }

    @Test func usageErrors() throws {
        #expect(try CLI.run(["merge-bin", "--chip", "esp32", "-o", "/tmp/x.bin", "0x1000"]).exitCode == 64)
        #expect(try CLI.run(["merge-bin", "--chip", "esp32", "-o", "/tmp/x.bin", "zz", "a.bin"]).exitCode == 64)
        #expect(try CLI.run(["merge-bin", "--chip", "esp32", "-o", "/tmp/x.bin", "-fm", "fast", "0x0", "a"]).exitCode == 64)
        #expect(try CLI.run(["merge-bin", "--chip", "esp9000", "-o", "/tmp/x.bin", "0x0", "a"]).exitCode == 64)
        let noChip = try CLI.run(["merge-bin", "-o", "/tmp/x.bin", "0x0", CLI.fixture("images/esp32s3_header.bin")])
        #expect(noChip.exitCode == 64)
        #expect(noChip.stderr.contains("--chip"))
    }

    @Test func layoutSaysWhereEachFileLands() throws {
        let dir = try CLI.temporaryDirectory()
        let root = CLI.fixture("merge/combine/in")
        let ok = try CLI.run(["merge-bin", "--chip", "esp32", "-o", dir + "/f.bin", "--config", root + "/flash_project_args",
                              "--layout", root + "/partition_table/partition-table.bin", "--layout", root + "/at_customize.bin"])
        #expect(ok.exitCode == 0, "\(ok.stderr)")
        #expect(ok.stdoutText.contains("esp-at.bin at 0x100000 (64 bytes) -> ota_0"))
        #expect(ok.stdoutText.contains("customized_partitions/ble_data.bin at 0x21000 (600 bytes) -> ble_data"))
        #expect(ok.stdoutText.contains("bootloader/bootloader.bin at 0x1000 (64 bytes) -> bootloader"))

        let big = dir + "/big.bin"
        try Data(repeating: 0, count: 0x3000).write(to: URL(fileURLWithPath: big))
        let tooBig = try CLI.run(["merge-bin", "--chip", "esp32", "-o", dir + "/g.bin", "0x10000", big,
                                  "--layout", root + "/partition_table/partition-table.bin"])
        #expect(tooBig.exitCode == 2)
        #expect(tooBig.stderr.contains("does not fit partition 'otadata'"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/g.bin"))
    }

    @Test func flasherArgsJSON() throws {
        let dir = try CLI.temporaryDirectory()
        let root = CLI.fixture("merge/combine/in")
        let json = """
            {"write_flash_args": ["--flash_mode", "dio", "--flash_size", "4MB", "--flash_freq", "40m"],
             "flash_files": {"0x1000": "\(root)/bootloader/bootloader.bin", "0x8000": "\(root)/partition_table/partition-table.bin"},
             "extra_esptool_args": {"chip": "esp32"}}
            """
        try json.write(toFile: dir + "/flasher_args.json", atomically: true, encoding: .utf8)
        let result = try CLI.run(["merge-bin", "-o", dir + "/m.bin", "--config", dir + "/flasher_args.json"])
        #expect(result.exitCode == 0, "\(result.stderr)")
        let bytes = try CLI.read(dir + "/m.bin")
        #expect(bytes.count == 0x8C00)
        #expect(bytes[0x1002] == 2 && bytes[0x1003] == 0x20)
    }
}
