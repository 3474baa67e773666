import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Regression tests of issue 16's defects through the command line: no unbounded output, no crash on a huge size,
/// no temporary file after a signal, no "ok" for a flash that was not saved, no flash file cut short, no key without
/// its image, no reader without a size limit.
@Suite struct InputLimitCLITests {
    static func noCrash(_ r: CLIResult) -> Bool {
        !r.stderr.contains("Fatal error") && !r.stderr.contains("Backtrace") && !r.stderr.contains("Crash") && r.exitCode < 128
    }

    @Test(arguments: [["0xFFFFFFFFFFFF"], ["0xFFFFFFFF"], ["0x10000001"], ["0x100000000", "--format", "uf2"],
                      ["0x100000000", "--format", "hex"], ["0x0", "--pad-to-size", "1048576MB"], ["0x0", "--target-offset", "0x100000000"]])
    func mergeBinRefusesAddressesBeyondTheLargestFlash(_ arguments: [String]) throws {
        let dir = try CLI.temporaryDirectory()
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/a.bin"))
        let started = Date()
        let r = try CLI.run(["merge-bin", "--chip", "esp32", "-o", dir + "/out", arguments[0], dir + "/a.bin"] + arguments.dropFirst())
        #expect(r.exitCode == 2, "\(r.stderr)")
        #expect(r.stderr.contains("beyond the largest flash (256 MB"), "\(r.stderr)")
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["a.bin"])
    }

    @Test func mergeBinRefusesAConfigAddressBeyondTheLargestFlash() throws {
        let dir = try CLI.temporaryDirectory()
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/a.bin"))
        try "--flash_mode dio 0x1000 a.bin 0xFFFFFFFFFFFF a.bin\n".write(toFile: dir + "/download.config", atomically: true, encoding: .utf8)
        let r = try CLI.run(["merge-bin", "--chip", "esp32", "-o", dir + "/out", "--config", dir + "/download.config"])
        #expect(r.exitCode == 2 && r.stderr.contains("0xffffffffffff"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
    }

    @Test func hugeSizesAreRefusedWithoutACrash() throws {
        let dir = try CLI.temporaryDirectory()
        let csv = dir + "/in.csv"
        try "key,type,encoding,value\nns,namespace,,\nk,data,u8,1\n".write(toFile: csv, atomically: true, encoding: .utf8)
        try "ns,namespace,\nk,data,u8\n".write(toFile: dir + "/conf.csv", atomically: true, encoding: .utf8)
        try "id,k\n1,5\n".write(toFile: dir + "/values.csv", atomically: true, encoding: .utf8)
        try Data([1]).write(to: URL(fileURLWithPath: dir + "/a.bin"))
        let runs: [[String]] = [
            ["nvs", "generate", csv, dir + "/o.bin", "0x10000000000"],
            ["nvs", "encrypt", csv, dir + "/o.bin", "0x10000000000", "--keygen", "--outdir", dir],
            ["nvs", "batch", "--conf", dir + "/conf.csv", "--values", dir + "/values.csv", "--size", "0x10000000000", "--outdir", dir + "/b"],
            ["write-flash", "-p", "virtual://esp32?size=1048576MB", "0x0", dir + "/a.bin"],
            ["emulate", "--chip", "esp32", "--listen", "127.0.0.1:0", "--flash-size", "1048576MB"],
        ]
        for arguments in runs {
            let r = try CLI.run(arguments)
            #expect(r.exitCode == 64, "\(arguments): \(r.exitCode) \(r.stderr)")
            #expect(Self.noCrash(r) && r.stderr.contains("256"), "\(arguments): \(r.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["a.bin", "conf.csv", "in.csv", "values.csv"])
    }

    /// A signal that ends the process during a long atomic write removes the temporary file.
    @Test(arguments: [SIGTERM, SIGHUP])
    func aSignalDuringALongWriteLeavesNoTemporaryFile(_ signal: Int32) throws {
        let dir = try CLI.temporaryDirectory()
        try Data([1]).write(to: URL(fileURLWithPath: dir + "/a.bin"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["merge-bin", "--chip", "esp32", "-o", dir + "/out.bin", "--pad-to-size", "256MB", "0x0", dir + "/a.bin"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until the temporary file exists and grows, then signal.
        var sawTemporary = false
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            if let temp = names.first(where: { $0.hasPrefix(".out.bin.tmp-") }),
               let size = (try? FileManager.default.attributesOfItem(atPath: dir + "/" + temp))?[.size] as? Int, size > 0 {
                sawTemporary = true
                kill(process.processIdentifier, signal)
                break
            }
            usleep(500)
        }
        process.waitUntilExit()
        #expect(sawTemporary, "the write ended before it could be interrupted")
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == signal)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["a.bin"])
    }

    @Test func aVirtualFlashThatCannotBeSavedFailsTheCommand() throws {
        let dir = try CLI.temporaryDirectory()
        try Data([1, 2, 3, 4]).write(to: URL(fileURLWithPath: dir + "/a.bin"))
        let r = try CLI.run(["write-flash", "-p", "virtual://esp32?flash=\(dir)/missing/chip.bin", "--json", "0x0", dir + "/a.bin"])
        #expect(r.exitCode == 1, "\(r.stderr)")
        let last = try #require(r.stdoutText.split(separator: "\n").last)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(result["ok"] as? Bool == false && result["stage"] as? String == "finish", "\(last)")
        #expect((result["error"] as? String ?? "").contains("missing/chip.bin"))
    }

    /// The flash file reads, but its temporary file cannot be made (the name is at the 255-byte limit): an AT
    /// command that changed the flash must not report success.
    @Test func anATWriteWhoseFlashCannotBeSavedFails() throws {
        let module = try ATCLITests.flashedModule("esp32")
        let flash = module.dir + "/" + String(repeating: "f", count: 251) + ".bin"
        try FileManager.default.copyItem(atPath: module.flash, toPath: flash)
        let before = try CLI.read(flash)
        try Data([0x27, 0x95]).write(to: URL(fileURLWithPath: module.dir + "/small.bin"))
        let r = try CLI.run(["at", "sysflash", "write", "-p", "virtual://esp32?flash=\(flash)", "--json", "ble_data", module.dir + "/small.bin"])
        #expect(r.exitCode == 1, "\(r.stderr)")
        let last = try #require(r.stdoutText.split(separator: "\n").last)
        #expect(last.contains("\"ok\":false") && last.contains("\"stage\":\"finish\""), "\(last)")
        #expect(try CLI.read(flash) == before)
    }

    @Test func anExistingLargerFlashFileIsNeverCut() throws {
        let dir = try CLI.temporaryDirectory()
        let flash = dir + "/chip.bin"
        var old = [UInt8](repeating: 0, count: 8 << 20)
        for i in stride(from: 0, to: old.count, by: 4096) { old[i] = UInt8(truncatingIfNeeded: i >> 12) }
        try Data(old).write(to: URL(fileURLWithPath: flash))
        try Data([1, 2, 3, 4]).write(to: URL(fileURLWithPath: dir + "/a.bin"))
        let refused = try CLI.run(["write-flash", "-p", "virtual://esp32?flash=\(flash)&size=4MB", "0x100000", dir + "/a.bin"])
        #expect(refused.exitCode == 74 && refused.stderr.contains("size=8MB"), "\(refused.stderr)")
        #expect(try CLI.read(flash) == Data(old))
        let written = try CLI.run(["write-flash", "-p", "virtual://esp32?flash=\(flash)", "0x700000", dir + "/a.bin"])
        #expect(written.exitCode == 0, "\(written.stderr)")
        // The sector written is erased first (NOR flash); everything else, past 4 MB too, is as it was.
        var expected = old
        expected.replaceSubrange(0x700000..<0x701000, with: [1, 2, 3, 4] + [UInt8](repeating: 0xFF, count: 0x1000 - 4))
        let after = [UInt8](try CLI.read(flash))
        #expect(after.count == 8 << 20)
        let same = after == expected
        #expect(same, "the flash file differs from the expected contents")
    }

    @Test func emulateRefusesAFlashFileLargerThanItsFlash() throws {
        let dir = try CLI.temporaryDirectory()
        let flash = dir + "/chip.bin"
        try Data(repeating: 0x5A, count: 8 << 20).write(to: URL(fileURLWithPath: flash))
        let r = try CLI.run(["emulate", "--chip", "esp32", "--listen", "127.0.0.1:0", "--flash", flash, "--flash-size", "4MB"])
        #expect(r.exitCode == 2 && r.stderr.contains("--flash-size 8MB"), "\(r.stderr)")
        #expect(try CLI.read(flash).count == 8 << 20)
    }

    @Test func aHeaderOnlyTypeCSVIsRefused() throws {
        let dir = try CLI.temporaryDirectory()
        try "param_name,offset,type,size\n".write(toFile: dir + "/types.csv", atomically: true, encoding: .utf8)
        try "platform,module_name,magic_flag\nPLATFORM_ESP32,M,0xfcfc\n".write(toFile: dir + "/data.csv", atomically: true, encoding: .utf8)
        let r = try CLI.run(["factory-param", "build", "--types", dir + "/types.csv", "--data", dir + "/data.csv", "--module", "M", "-o", dir + "/out.bin"])
        #expect(r.exitCode == 2 && r.stderr.hasPrefix("error: \(dir)/types.csv:1:"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.bin"))
    }

    @Test func nvsEncryptKeygenLeavesNoKeyWhenTheImageCannotBeWritten() throws {
        let dir = try CLI.temporaryDirectory()
        try "key,type,encoding,value\nns,namespace,,\nk,data,u8,1\n".write(toFile: dir + "/in.csv", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/out/img.bin", withIntermediateDirectories: true)
        let r = try CLI.run(["nvs", "encrypt", dir + "/in.csv", "img.bin", "0x3000", "--keygen", "--keyfile", "k.bin", "--outdir", dir + "/out"])
        #expect(r.exitCode == 74, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/keys/k.bin"))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: dir + "/out/keys")) ?? []).isEmpty)
    }

    @Test func endlessInputsStopAtTheirLimit() throws {
        let binary = try CLI.run(["partition-table", "/dev/zero"])
        #expect(binary.exitCode == 2 && binary.stderr.contains("/dev/zero: the file is larger than 256 MB"), "\(binary.stderr)")
        // A pipe that never ends, read as text.
        let dir = try CLI.temporaryDirectory()
        let fifo = dir + "/endless.csv"
        #expect(mkfifo(fifo, 0o600) == 0)
        signal(SIGPIPE, SIG_IGN)  // the writer sees EPIPE when the tool stops reading
        let writer = Thread {
            let fd = open(fifo, O_WRONLY)
            let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 16)
            while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
            close(fd)
        }
        writer.start()
        let text = try CLI.run(["nvs", "generate", fifo, dir + "/o.bin", "0x3000"])
        #expect(text.exitCode == 2 && text.stderr.contains("larger than 64 MB"), "\(text.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/o.bin"))
    }
}
