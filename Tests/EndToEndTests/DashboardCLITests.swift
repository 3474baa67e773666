import Foundation
import TestSupport
import Testing

/// `station serve` as a supervisor uses it: the page in a real browser (headless Chromium) while a station runs,
/// the live stream measured with a raw HTTP client, the JSON and CSV endpoints, and no way to write.
@Suite("the line's web dashboard")
struct DashboardCLITests {
    static func get(_ port: Int, _ path: String, method: String = "GET") throws -> (status: Int, headers: String, body: String) {
        let output = try runProcess("/usr/bin/curl", ["-s", "-i", "-X", method, "--max-time", "10", "http://127.0.0.1:\(port)\(path)"])
        let text = String(decoding: output.stdout, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let status = Int(parts[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, parts[0], parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// `station serve` on `db` with `--listen :0`: no host given, so the loopback address (and a free port), which
    /// the first stdout line names.
    static func serve(_ db: String, dir: String) async throws -> (LineProcess, port: Int) {
        let serve = try LineProcess(["station", "serve", "--db", db, "--listen", ":0"], stderrPath: dir + "/serve-\(UUID().uuidString.prefix(6)).stderr")
        #expect(await serve.waitUntil(seconds: 60) { $0.output.contains { $0.text.hasPrefix("dashboard: http://127.0.0.1:") } }, "\(serve.stderr)")
        let banner = serve.output.first { $0.text.hasPrefix("dashboard: ") }?.text ?? ""
        return (serve, Int(banner.split(separator: ":").dropFirst(3).first?.prefix { $0.isNumber } ?? "") ?? 0)
    }

    @Test("Chromium shows every port with its state and the yield during a run; SSE brings each record within 1 s; JSON, CSV, read-only")
    func dashboardDuringRun() async throws {
        guard let server = try await offPool({ try PostgresServer.shared() }), let chromium = try HeadlessBrowser.chromium() else { return }
        let db = try await offPool { try server.createDatabase() }
        let (dir, recipe) = try StationLineCLITests.setUp(units: 60)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let (serve, port) = try await Self.serve(db, dir: dir)
        defer { serve.kill9() }
        let url = "http://127.0.0.1:\(port)/"
        let stream = try EventStreamClient(port: port, path: "/api/events")
        defer { stream.close() }

        let ports = ["virtual://esp32?line=91&size=1MB&baud-model=921600", "virtual://esp32?line=92&size=1MB&baud-model=921600",
                     "virtual://esp32s3?line=93&size=1MB&swap=300"]
        let station = try LineProcess(["station", "run", recipe, "--db", db, "--station", "line-a", "--modules", "14", "--json"]
                                      + ports.flatMap { ["--port", $0] }, stderrPath: dir + "/station.stderr")
        #expect(await station.waitUntil { $0.count("record") >= 4 }, "\(station.stderr)")

        let browser = try HeadlessBrowser(chromium: chromium, log: dir + "/chromium.log")
        defer { browser.close() }
        try await offPool { try browser.open(url) }
        try await Self.checkPageDuringRun(browser, ports: ports)

        #expect(await station.wait() == 1, "the ESP32-S3 port's modules fail the chip check: \(station.stderr)")
        try await Task.sleep(nanoseconds: 500_000_000)
        let printed = station.events.filter { $0.event["event"] as? String == "record" }
        #expect(printed.count == 14)
        Self.checkStream(stream, printed: printed)
        // The page follows the stream by itself: once the run is over it counts all 14 modules, with no reload.
        var final = ""
        let settled = Date().addingTimeInterval(30)
        repeat {
            final = try await offPool { try browser.dom() }
            if final.contains("<b id=\"modules\">14</b>") { break }
            try await Task.sleep(nanoseconds: 100_000_000)
        } while Date() < settled
        #expect(final.contains("<b id=\"modules\">14</b>"), "the page shows the run's 14 modules")
        #expect(final.contains("data-state=\"stopped\""))
        #expect(stream.status.withLock { $0 }.contains("text/event-stream"))
        #expect(stream.events.first?.name == "state", "the stream starts with the state")

        let passed = printed.map { $0.event["record"] as! [String: Any] }.first { $0["result"] as? String == "passed" }!
        let (attempt, mac, unit) = (passed["attempt_id"] as! String, passed["mac"] as! String, passed["unit"] as! String)
        try await offPool { try Self.checkEndpoints(port, attempt: attempt, mac: mac, unit: unit) }
    }

    /// The page in the browser while modules are flashed: its DOM once the stream has drawn every port, and a
    /// screenshot of it then (.build/dashboard.png).
    static func checkPageDuringRun(_ browser: HeadlessBrowser, ports: [String]) async throws {
        func row(_ dom: String, _ port: String) -> Range<String.Index>? {
            dom.range(of: "data-port=\"\(port.replacingOccurrences(of: "&", with: "&amp;"))\" data-state=\"")
        }
        var dom = ""
        let drawn = Date().addingTimeInterval(90)
        repeat {
            dom = try await offPool { try browser.dom() }
            if ports.allSatisfy({ row(dom, $0) != nil }), dom.contains("class=\"on\">live<") { break }
            try await Task.sleep(nanoseconds: 200_000_000)
        } while Date() < drawn
        let screenshot = packageRoot.appendingPathComponent(".build/dashboard.png").path
        let png = try await offPool { try browser.screenshot() }
        try png.write(to: URL(fileURLWithPath: screenshot))
        #expect(png.count > 1000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG screenshot: \(png.count) bytes")
        #expect((try FileManager.default.attributesOfItem(atPath: screenshot)[.size] as? Int ?? 0) > 0)
        #expect(dom.contains("<span id=\"live\" class=\"on\">live</span>"), "the page's event stream is open")
        for name in ports {
            let found = row(dom, name)
            #expect(found != nil, "the DOM has a row for \(name)")
            if let found {
                let state = dom[found.upperBound...].prefix { $0 != "\"" }
                #expect(["running", "waiting", "stopped", "starting"].contains(String(state)), "\(name): state \(state)")
                #expect(dom[found.upperBound...].prefix(400).contains("class=\"state \(state)\">"), "\(name): the state is shown")
            }
        }
        let yield = dom.range(of: "<b id=\"yield\">").map { dom[$0.upperBound...].prefix { $0 != "<" } } ?? ""
        #expect(yield.hasSuffix("%"), "the yield is shown: '\(yield)'")
        #expect(dom.contains("Station line-a"))

    }

    /// Every record reached the stream, each within 1 s of the station printing it (after its commit).
    static func checkStream(_ stream: EventStreamClient, printed: [(at: Date, event: [String: Any])]) {
        let streamed = Dictionary(stream.events.filter { $0.name == "record" }.compactMap { event -> (String, Date)? in
            guard let json = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any],
                  let attempt = json["attempt_id"] as? String else { return nil }
            return (attempt, event.at)
        }, uniquingKeysWith: { a, _ in a })
        var latencies: [Double] = []
        for (at, event) in printed {
            let attempt = (event["record"] as! [String: Any])["attempt_id"] as! String
            guard let arrived = streamed[attempt] else {
                Issue.record("record \(attempt) never came on the stream")
                continue
            }
            latencies.append(arrived.timeIntervalSince(at))
        }
        #expect(latencies.allSatisfy { $0 < 1 }, "latencies \(latencies)")
        print("SSE record latency after the station's record line: max \(latencies.max() ?? -1) s, mean \(latencies.reduce(0, +) / Double(max(1, latencies.count))) s")
    }

    /// The endpoints: state, search by MAC (any spelling), unit or serial, CSV, units; nothing writes; loopback only.
    static func checkEndpoints(_ port: Int, attempt: String, mac: String, unit: String) throws {
        let state = try JSONSerialization.jsonObject(with: Data(try get(port, "/api/state").body.utf8)) as! [String: Any]
        let totals = state["totals"] as! [String: Any]
        #expect(totals["modules"] as? Int == 14 && state["schema_version"] as? Int == 2)
        let stations = state["stations"] as! [[String: Any]]
        #expect(stations.count == 1 && (stations[0]["ports"] as! [[String: Any]]).map { $0["state"] as! String } == ["stopped", "stopped", "stopped"])
        #expect((state["yield_per_stage"] as! [[String: Any]]).contains { $0["stage"] as? String == "check" && ($0["failed"] as? Int ?? 0) > 0 })
        #expect((state["yield_per_hour"] as! [[String: Any]]).count == 24)
        #expect(!(state["last_failures"] as! [[String: Any]]).isEmpty)
        for query in [mac, mac.replacingOccurrences(of: ":", with: "").uppercased(), unit] {
            let found = try JSONSerialization.jsonObject(with: Data(try get(port, "/api/records?q=" + query).body.utf8)) as! [[String: Any]]
            #expect(found.contains { $0["attempt_id"] as? String == attempt }, "search \(query)")
        }
        let number = StationFixture.unitNumber(unit)!
        let bySSID = try JSONSerialization.jsonObject(with: Data(try get(port, "/api/records?q=" + StationFixture.ssid(number)).body.utf8)) as! [[String: Any]]
        #expect(bySSID.map { $0["unit"] as? String } == [unit], "a search by another value of the unit finds its records")
        let csv = try get(port, "/api/records.csv")
        #expect(csv.status == 200 && csv.headers.lowercased().contains("text/csv") && csv.body.hasPrefix("id,attempt_id,station_id,"))
        #expect(csv.body.split(separator: "\r\n").count == 15)
        let units = try JSONSerialization.jsonObject(with: Data(try get(port, "/api/units?q=" + unit).body.utf8)) as! [[String: Any]]
        #expect(units.first?["mac"] as? String == mac)
        for method in ["POST", "PUT", "DELETE"] {
            #expect(try get(port, "/api/records", method: method).status == 405)
        }
        // Bound to the loopback address only: this computer's other addresses do not answer.
        for address in otherIPv4Addresses() {
            let outside = try runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3", "http://\(address):\(port)/"])
            #expect(String(decoding: outside.stdout, as: UTF8.self) == "000", "the dashboard answered on \(address)")
        }
        let page = try get(port, "/")
        #expect(page.status == 200 && page.body.contains("new EventSource(\"api/events\")") && !page.body.contains("setInterval"))
    }

    /// This computer's IPv4 addresses other than the loopback ones.
    static func otherIPv4Addresses() -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var found: [String] = []
        var next = list
        while let entry = next {
            defer { next = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                var raw = v4.pointee.sin_addr
                _ = inet_ntop(AF_INET, &raw, &text, socklen_t(text.count))
            }
            let shown = String(cString: text)
            if !shown.hasPrefix("127.") { found.append(shown) }
        }
        return found
    }

    @Test("serve binds to loopback for :PORT, refuses a bad --listen (64), and a missing SQLite file (74)")
    func serveArguments() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad = try CLI.run(["station", "serve", "--listen", "nowhere"])
        #expect(bad.exitCode == 64 && bad.stderr.contains("--listen"), "\(bad.stderr)")
        let missing = try CLI.run(["station", "serve", "--db", dir + "/none.db", "--listen", ":0"])
        #expect(missing.exitCode == 74 && missing.stderr.contains("no station database"), "\(missing.stderr)")
        let badURL = try CLI.run(["station", "report", "--db", "postgres://nohost"])
        #expect(badURL.exitCode == 74 && badURL.stderr.contains("not a PostgreSQL URL"), "\(badURL.stderr)")
    }
}
