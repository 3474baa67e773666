import Foundation
import ImageFormats
import Station
import TestSupport
import Testing

/// `station run` and `station report` as a user runs them: NDJSON, the report's exports, recipe errors, Ctrl-C, and a
/// station killed with -9 again and again.
@Suite("station run and report")
struct StationCLITests {
    static func lines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    static func port(_ seed: Int, _ dir: String, _ extra: String = "") -> String {
        "virtual://esp32?line=\(seed)&size=1MB&flash-dir=\(dir)/modules" + extra
    }

    static func setUp(units: Int = 8, ports: [String]? = nil) throws -> (dir: String, recipe: String) {
        let dir = try CLI.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/modules", withIntermediateDirectories: true)
        let recipe = try StationFixture.write(to: dir, units: units, ports: ports ?? [port(1, dir), port(2, dir)])
        return (dir, recipe)
    }

    @Test("a run prints NDJSON ending in one result line; report exports JSON and CSV with the yield per stage")
    func runAndReport() throws {
        let (dir, recipe) = try Self.setUp()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try CLI.run(["station", "run", recipe, "--modules", "4", "--json", "--operator", "alice"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        let events = try Self.lines(run.stdoutText)
        #expect(events.allSatisfy { $0["schema"] as? Int == 1 })
        #expect(events.last?["event"] as? String == "result" && events.last?["ok"] as? Bool == true && events.last?["passed"] as? Int == 4)
        #expect(events.filter { $0["event"] as? String == "result" }.count == 1)
        let recorded = events.filter { $0["event"] as? String == "record" }.map { $0["record"] as! [String: Any] }
        #expect(recorded.count == 4 && recorded.allSatisfy { $0["operator"] as? String == "alice" && $0["result"] as? String == "passed" })

        let report = try CLI.run(["station", "report", "--db", dir + "/station.db", "--json"])
        #expect(report.exitCode == 0)
        let records = try JSONSerialization.jsonObject(with: report.stdout) as! [[String: Any]]
        #expect(records.count == 4)
        for record in records {
            #expect(record["result"] as? String == "passed" && record["stage"] as? String == "done")
            #expect((record["mac"] as? String)?.count == 17 && (record["unit"] as? String)?.hasPrefix("SN") == true)
            #expect((record["port"] as? String)?.hasPrefix("virtual://esp32?line=") == true)
            #expect((record["files"] as? [[String: Any]])?.count == 6)
        }
        #expect(Set(records.map { $0["unit"] as! String }).count == 4)
        #expect(report.stderr.contains("overall") && report.stderr.contains("100.0%"))
        let csv = try CLI.run(["station", "report", "--db", dir + "/station.db", "--csv"])
        #expect(csv.stdoutText.hasPrefix("id,attempt_id,station_id,operator,port,mac,") && csv.stdoutText.split(separator: "\r\n").count == 5)

        // The same modules again (a line starts over): each MAC gets its unit back, nothing is written twice.
        let again = try CLI.run(["station", "run", recipe, "--modules", "2", "--json"])
        #expect(again.exitCode == 0, "\(again.stderr)")
        let second = try Self.lines(again.stdoutText).filter { $0["event"] as? String == "record" }.map { $0["record"] as! [String: Any] }
        let first = Dictionary(uniqueKeysWithValues: recorded.map { ($0["mac"] as! String, $0["unit"] as! String) })
        for record in second {
            #expect(first[record["mac"] as! String] == record["unit"] as? String)
            #expect((record["files"] as? [[String: Any]])?.allSatisfy { $0["status"] as? String == "skipped" } == true)
        }
        let text = try CLI.run(["station", "report"], cwd: dir)
        #expect(text.exitCode == 0 && text.stdoutText.contains("6 records") && text.stdoutText.contains("overall"))
    }

    @Test("a recipe error names the file, the line and the key (exit 2); a missing file is exit 74")
    func recipeErrors() throws {
        let (dir, recipe) = try Self.setUp()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = try String(contentsOfFile: recipe, encoding: .utf8)
        try text.replacingOccurrences(of: "id = \"serial\"", with: "id = \"serial\"\nrelease = \"sometimes\"").write(toFile: recipe, atomically: true, encoding: .utf8)
        let bad = try CLI.run(["station", "run", recipe, "--modules", "1"])
        #expect(bad.exitCode == 2)
        #expect(bad.stderr.contains("recipe.toml:8: key 'unit.release': 'sometimes' is not a policy"), "\(bad.stderr)")
        try text.replacingOccurrences(of: "units.csv", with: "missing.csv").write(toFile: recipe, atomically: true, encoding: .utf8)
        let missing = try CLI.run(["station", "run", recipe, "--modules", "1"])
        #expect(missing.exitCode == 74 && missing.stderr.contains("missing.csv: cannot read"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/station.db"))
    }

    @Test("Ctrl-C stops every module in flight at its next command and records it; exit 130")
    func interrupted() async throws {
        let (dir, recipe) = try Self.setUp(ports: [])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let slow = "&baud-model=115200&flash-timing=typical"
        let out = dir + "/out.ndjson"
        FileManager.default.createFile(atPath: out, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["station", "run", recipe, "--json", "--port", Self.port(1, dir, slow), "--port", Self.port(2, dir, slow)]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning, ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").components(separatedBy: "\"progress\"").count < 3 {
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let events = try Self.lines(String(contentsOfFile: out, encoding: .utf8))
        let started = events.filter { $0["event"] as? String == "module_start" }.map { $0["attempt_id"] as! String }
        let records = events.filter { $0["event"] as? String == "record" }.map { $0["record"] as! [String: Any] }
        #expect(Set(records.map { $0["attempt_id"] as! String }) == Set(started))
        #expect(records.contains { $0["reason"] as? String == "cancelled" && $0["stage"] as? String != "done" })
        #expect(events.last?["event"] as? String == "result" && events.last?["interrupted_by"] as? String == "SIGINT")
        let store = try SQLiteStationStore(path: dir + "/station.db")
        #expect(try await store.inFlight(stationID: nil).isEmpty)
    }

    @Test("kill -9 at random points in 20 runs: no finished record lost, no unit twice, a restarted station carries on")
    func killedAgainAndAgain() async throws {
        let (dir, recipe) = try Self.setUp(units: 60, ports: [])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var random = SeededGenerator(seed: 2024)
        var printed: [String: [String: Any]] = [:]
        for run in 0..<20 {
            // Lines restart with each run, so MACs come again (and must get their units back); the seeds vary so new ones come too.
            let ports = [Self.port(1 + run % 4, dir, "&fault=delay-reply:1"), Self.port(11 + run % 3, dir, "&fault=delay-reply:1"),
                         Self.port(21 + run % 5, dir, "&fault=delay-reply:1&fault=drop-reply:0.02")]
            let out = dir + "/run\(run).ndjson"
            FileManager.default.createFile(atPath: out, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["station", "run", recipe, "--json", "--modules", "9"] + ports.flatMap { ["--port", $0] }
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(50_000 + random.next() % 1_200_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // A record event is printed only after its transaction committed: each must be in the database.
            for line in (try? String(contentsOfFile: out, encoding: .utf8))?.split(separator: "\n") ?? [] {
                guard let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      event["event"] as? String == "record", let record = event["record"] as? [String: Any] else { continue }
                printed[record["attempt_id"] as! String] = record
            }
        }
        let final = try CLI.run(["station", "run", recipe, "--json", "--modules", "6", "--port", Self.port(1, dir), "--port", Self.port(11, dir)])
        #expect(final.exitCode == 0, "\(final.stderr)")

        let store = try SQLiteStationStore(path: dir + "/station.db")
        let records = try await store.records(RecordQuery())
        let units = try await store.units(pool: "units")
        #expect(try await store.inFlight(stationID: nil).isEmpty)
        let byAttempt = Dictionary(uniqueKeysWithValues: records.map { ($0.attemptID, $0) })
        #expect(!printed.isEmpty)
        for (attempt, record) in printed {
            #expect(byAttempt[attempt]?.result.rawValue == record["result"] as? String, "record \(attempt) printed but not stored")
            #expect(byAttempt[attempt]?.unit == record["unit"] as? String)
        }
        // One unit per MAC and one MAC per unit, in every record and in the bindings; every binding has a record.
        let withUnit = records.filter { $0.unit != nil }
        let unitsByMAC = Dictionary(grouping: withUnit, by: { $0.mac! }).mapValues { Set($0.map { $0.unit! }) }
        let macsByUnit = Dictionary(grouping: withUnit, by: { $0.unit! }).mapValues { Set($0.map { $0.mac! }) }
        #expect(unitsByMAC.values.allSatisfy { $0.count == 1 } && macsByUnit.values.allSatisfy { $0.count == 1 })
        let bound = Dictionary(uniqueKeysWithValues: units.compactMap { u in u.mac.map { (u.unit.id, $0) } })
        #expect(bound == macsByUnit.mapValues { $0.first! })
        #expect(records.contains { $0.reason == "abandoned" }, "some run was killed with a module in flight")
        #expect(records.allSatisfy { $0.result == .passed || ($0.stage != .done && $0.error != nil) })
        // Every module that passed holds its own unit's values.
        for (mac, unitSet) in unitsByMAC where withUnit.contains(where: { $0.mac == mac && $0.result == .passed }) {
            let file = dir + "/modules/" + mac.replacingOccurrences(of: ":", with: "") + ".bin"
            let flash = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            #expect(StationFixture.problems(inFlash: flash, serial: unitSet.first!) == [], "\(mac)")
        }
    }

    @Test("--port auto: ESP-looking ports are found, a board plugged in mid-run is a new module, one unplugged stops its port")
    func hotPlug() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let recipe = try StationFixture.write(to: dir, units: 4, ports: [], testAT: false)
        let (first, firstPTY) = try BackgroundProcess.emulator(chip: "esp32", pty: true, flashFile: dir + "/a.bin",
                                                                extra: ["--mac", "24:0a:c4:00:00:0a"])
        defer { first.stop() }
        let tree = try FakeSerialPorts([FakeSerialPorts.cp2102("ttyUSB0", serial: "A", target: firstPTY), FakeSerialPorts.other()])
        let out = dir + "/out.ndjson"
        FileManager.default.createFile(atPath: out, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["station", "run", recipe, "--port", "auto", "--modules", "2", "--json"]
        process.environment = ProcessInfo.processInfo.environment.merging(tree.environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        func events() -> [[String: Any]] { (try? Self.lines(String(contentsOfFile: out, encoding: .utf8))) ?? [] }
        func waitFor(_ what: String, _ seconds: Double = 180, _ found: ([String: Any]) -> Bool) throws {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline, process.isRunning, !events().contains(where: found) { usleep(50_000) }
            let seen = events().contains(where: found)
            try #require(seen, "no \(what) in \(events())")
        }
        let portA = tree.dev + "/ttyUSB0", portB = tree.dev + "/ttyUSB1"
        try waitFor("record at ttyUSB0") { $0["event"] as? String == "record" && ($0["record"] as? [String: Any])?["port"] as? String == portA }
        // Unplugged: the port's loop ends. Then another board is plugged in and is the run's second module.
        try tree.remove("ttyUSB0")
        first.stop()
        try waitFor("ttyUSB0 stopping") { $0["event"] as? String == "port_stopped" && $0["port"] as? String == portA }
        let (second, secondPTY) = try BackgroundProcess.emulator(chip: "esp32", pty: true, flashFile: dir + "/b.bin",
                                                                  extra: ["--mac", "24:0a:c4:00:00:0b"])
        defer { second.stop() }
        try tree.add(FakeSerialPorts.cp2102("ttyUSB1", serial: "B", target: secondPTY), slot: 5)
        let deadline = Date().addingTimeInterval(180)
        while Date() < deadline, process.isRunning { usleep(50_000) }
        try #require(!process.isRunning, "the run did not end: \(events())")
        #expect(process.terminationStatus == 0)
        let all = events()
        let found = all.filter { $0["event"] as? String == "port_found" }.compactMap { $0["port"] as? String }
        #expect(found == [portA, portB], "\(found)")  // never the Arduino (not an ESP-looking port)
        let stopped = all.first { $0["event"] as? String == "port_stopped" && $0["port"] as? String == portA }
        #expect(stopped?["reason"] as? String == "the port went away")
        let records = all.filter { $0["event"] as? String == "record" }.compactMap { $0["record"] as? [String: Any] }
        #expect(records.map { $0["mac"] as? String } == ["24:0a:c4:00:00:0a", "24:0a:c4:00:00:0b"])
        #expect(records.map { $0["port"] as? String } == [portA, portB])
        #expect(records.allSatisfy { $0["result"] as? String == "passed" }, "\(records)")
        #expect(Set(records.compactMap { $0["unit"] as? String }).count == 2)
    }

    @Test("--port auto with the AT test is refused (a discovered port has no AT UART); 'auto' stands alone")
    func discoveryRefusals() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let recipe = try StationFixture.write(to: dir, units: 2, ports: [])
        let withAT = try CLI.run(["station", "run", recipe, "--port", "auto"])
        #expect(withAT.exitCode == 2 && withAT.stderr.contains("no AT UART"), "\(withAT.stderr)")
        let mixed = try CLI.run(["station", "run", recipe, "--port", "auto", "--port", "virtual://esp32"])
        #expect(mixed.exitCode == 64 && mixed.stderr.contains("give it alone"), "\(mixed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/station.db"))
    }
}

