import Foundation
import SerialBootloader
import TestSupport
import Testing

/// The device commands' contract around the jobs: exactly one `result` line on every run past argument parsing,
/// with its stage; `schema` on every event; `retries` equal to the retry events; the chip guard and `--force`;
/// a dropped socket survived (no SIGPIPE); Ctrl-C and SIGTERM reported.
@Suite("Device command results, the chip guard, lost links and interruptions")
struct DeviceJobCLITests {
    /// Runs a device command with --json and checks the NDJSON contract; returns the result line.
    static func result(_ arguments: [String], environment: [String: String] = [:], exit expected: Int32) throws -> [String: Any] {
        let run = try CLI.run(arguments + ["--json"], environment: environment)
        #expect(run.exitCode == expected, "\(arguments): \(run.stderr)")
        return try checkedResult(run)
    }

    static func checkedResult(_ run: CLIResult) throws -> [String: Any] {
        let events = try ndjsonEvents(run)
        #expect(events.allSatisfy { $0["schema"] as? Int == 1 }, "every event carries schema 1")
        let results = events.filter { $0["event"] as? String == "result" }
        #expect(results.count == 1, "exactly one result line: \(run.stdoutText)")
        #expect(events.last?["event"] as? String == "result", "the result line comes last")
        let result = try #require(results.first)
        let retryEvents = events.filter { $0["event"] as? String == "retry" }.count
        #expect(result["retries"] as? Int == retryEvents, "retries equal the retry events")
        if result["ok"] as? Bool == false {
            #expect(result["stage"] is String && result["error"] is String)
        }
        return result
    }

    static func app(_ dir: String, chip: String, _ extra: [String] = []) throws -> String {
        let path = dir + "/app-\(chip)\(extra.joined()).bin"
        let made = try CLI.run(["image", "make-app", "--chip", chip, "-o", path] + extra)
        #expect(made.exitCode == 0, "\(made.stderr)")
        return path
    }

    @Test("a result line with its stage for every way a run can fail: arguments, open, connect, check, write, verify")
    func resultLineForEveryStage() throws {
        let dir = try CLI.temporaryDirectory()
        // Connecting takes about 50 frames; this app about 150 more, so that the faults below land in the write.
        let app = try Self.app(dir, chip: "esp32", ["--code-size", "200K"])
        let port = "virtual://esp32?flash=\(dir)/chip.bin"
        let cases: [(String, [String], [String: String], Int32)] = [
            ("arguments", ["write-flash", "-p", port, "0x10000", dir + "/missing.bin"], [:], 74),
            ("open", ["write-flash", "-p", dir + "/no-such-tty", "0x10000", app], [:], 74),
            ("connect", ["write-flash", "-p", port, "--connect-attempts", "2", "0x10000", app], ["ESPFLASH_VIRTUAL_FAULTS": "silent-after=0"], 1),
            ("check", ["write-flash", "-p", port, "0x10000", CLI.fixture("images/esp_idf_blink_esp32s2.bin")], [:], 2),
            ("write", ["write-flash", "-p", port, "0x10000", app], ["ESPFLASH_VIRTUAL_FAULTS": "silent-after=90"], 1),
            ("verify", ["write-flash", "-p", port, "0x10000", app], ["ESPFLASH_VIRTUAL_FAULTS": "bad-sector=0x12000"], 1),
            ("verify", ["verify-flash", "-p", port, "0x10000", app], [:], 1),
            ("check", ["read-flash", "-p", port, "0x3FF000", "0x2000", dir + "/out.bin"], [:], 2),
            ("arguments", ["read-flash", "-p", port, "0", "16", dir + "/no-folder/out.bin"], [:], 74),
        ]
        for (stage, arguments, environment, exit) in cases {
            let result = try Self.result(arguments, environment: environment, exit: exit)
            #expect(result["ok"] as? Bool == false, "\(arguments)")
            #expect(result["stage"] as? String == stage, "\(arguments): \(result)")
            if stage == "write" || stage == "verify" || stage == "check" {
                let regions = result["regions"] as? [[String: Any]]
                #expect(regions?.isEmpty == false || arguments[0] == "read-flash", "\(arguments): per-region report")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.bin"))
    }

    @Test("regions report the file's own address, size and MD5; a patched header says so")
    func regionFields() throws {
        let dir = try CLI.temporaryDirectory()
        let app = try Self.app(dir, chip: "esp32c3")
        let bytes = try CLI.read(app)
        let result = try Self.result(["write-flash", "-p", "virtual://esp32c3", "-fm", "qio", "0x0", app, "0x20100", app], exit: 0)
        let regions = try #require(result["regions"] as? [[String: Any]])
        #expect(regions.map { $0["address"] as? Int } == [0, 0x20100])
        #expect(regions.map { $0["size"] as? Int } == [bytes.count, bytes.count])
        let md5 = md5Hex(Array(bytes))
        #expect(regions.map { $0["md5"] as? String } == [md5, md5])
        #expect(regions.map { $0["patched"] as? Bool } == [true, false])
        #expect(regions[1]["flash_address"] as? Int == 0x20000)  // the ROM writes whole sectors
        #expect(result["chip"] as? String == "esp32c3" && result["mac"] is String && result["bytes_sent"] is Int)
    }

    @Test("the chip guard through the CLI: refused with exit 2 and nothing written; --force writes with a warning")
    func chipGuard() throws {
        let dir = try CLI.temporaryDirectory()
        let port = "virtual://esp32?flash=\(dir)/chip.bin"
        let s2 = CLI.fixture("images/esp_idf_blink_esp32s2.bin")
        let refused = try CLI.run(["write-flash", "-p", port, "0x10000", s2])
        #expect(refused.exitCode == 2)
        #expect(refused.stderr.contains("is an ESP32-S2 image (chip id 2), not an ESP32 image"))
        #expect(refused.stderr.contains("--force"))
        #expect((try? CLI.read(dir + "/chip.bin"))?.allSatisfy { $0 == 0xFF } ?? true)
        let lowRev = try Self.app(dir, chip: "esp32", ["--min-rev", "3.1"])
        let revision = try CLI.run(["write-flash", "-p", port, "0x10000", lowRev])
        #expect(revision.exitCode == 2)
        #expect(revision.stderr.contains("this chip is revision v3.0"))
        let forced = try CLI.run(["write-flash", "-p", port, "--force", "0x10000", s2])
        #expect(forced.exitCode == 0, "\(forced.stderr)")
        #expect(forced.stderr.contains("warning:") && forced.stderr.contains("--force"))
        let flash = try CLI.read(dir + "/chip.bin")
        #expect(flash[0x10000..<(0x10000 + 1024)] == (try CLI.read(s2)).prefix(1024))
        // The stand-in ESP32 app passes the guard.
        #expect(try CLI.run(["write-flash", "-p", port, "0x10000", try Self.app(dir, chip: "esp32")]).exitCode == 0)
    }

    @Test("emulate --fault disconnect-after over socket://: no SIGPIPE, the socket is reopened, the write ends verified")
    func droppedSocketIsSurvived() throws {
        let dir = try CLI.temporaryDirectory()
        let data = TestBytes.firmware(200_000, seed: 21)
        try writeFile(data, dir + "/data.bin")
        let (emulator, port) = try BackgroundProcess.emulator(chip: "esp32", flashFile: dir + "/flash.bin",
                                                              extra: ["--fault", "disconnect-after=100"])
        let run = try CLI.run(["write-flash", "-p", port, "--json", "0x10000", dir + "/data.bin"])
        emulator.stop()
        #expect(run.exitCode == 0, "exit \(run.exitCode): \(run.stderr)")
        let result = try Self.checkedResult(run)
        #expect(result["ok"] as? Bool == true)
        #expect(try ndjsonEvents(run).contains { $0["event"] as? String == "port_reopened" })
        let flash = try CLI.read(dir + "/flash.bin")
        #expect(Array(flash[0x10000..<(0x10000 + data.count)]) == data)
    }

    @Test("Ctrl-C and SIGTERM: the report, the result line, exit 130 or 143", arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func interrupted(signal: Int32, exit: Int32) throws {
        let dir = try CLI.temporaryDirectory()
        try writeFile(TestBytes.firmware(300_000, seed: 4), dir + "/big.bin")
        let out = dir + "/out.ndjson", err = dir + "/err.txt"
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["write-flash", "-p", "virtual://esp32", "--json", "0x10000", dir + "/big.bin", "0x100000", dir + "/big.bin"]
        process.environment = ProcessInfo.processInfo.environment.merging(["ESPFLASH_VIRTUAL_FAULTS": "delay-reply=20"]) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning, !((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("\"progress\"") {
            usleep(20_000)
        }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationStatus == exit)
        let run = CLIResult(exitCode: process.terminationStatus, stdout: try CLI.read(out), stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
        let result = try Self.checkedResult(run)
        #expect(result["reason"] as? String == "cancelled")
        #expect((result["regions"] as? [[String: Any]])?.map { $0["status"] as? String } == ["failed", "pending"])
        #expect(run.stderr.contains("interrupted by") && run.stderr.contains("not written"))
    }
}

