import Foundation
import TestSupport

/// One seeded flash of the fault campaign: which transport, which fault, which files, and how to judge the result
/// from outside (the emulated flash file against the images, the exit code, the per-region report).
struct CampaignRun {
    enum Transport: String, CaseIterable { case virtual = "virtual://", socket = "socket://", pty, rfc2217 = "rfc2217://" }
    enum Fault: String, CaseIterable {
        case corruptRX = "corrupt-rx", dropReply = "drop-reply", truncateReply = "truncate-reply", delayReply = "delay-reply"
        case disconnect = "disconnect-after", reenumerate = "reenumerate-after", reset = "reset-after", mixed
    }
    enum Outcome: String, CaseIterable {
        case verified, failedWithReport = "failed, exit 1 + report", falseSuccess = "FALSE SUCCESS", other = "other"
    }

    let index: Int
    let transport: Transport
    let fault: Fault
    let chip: String
    let faultSpecs: [String]
    let images: [(address: Int, data: [UInt8])]
    let oldFlash: [UInt8]?
    let baud: Int?
    /// A board with the auto-reset circuit in front of a `virtual://` chip (rfc2217 always has one).
    let board: Bool
    static let flashSize = 1 << 20

    init(index: Int, seed: UInt64) {
        self.index = index
        var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9)
        transport = Transport.allCases[index % Transport.allCases.count]
        fault = Fault.allCases[(index / Transport.allCases.count) % Fault.allCases.count]
        chip = ["esp32", "esp32c3", "esp32s3", "esp32c6"][rng.next(4)]
        func probability() -> String { String(format: "%.3f", 0.005 + Double(rng.next(25)) / 1000) }
        func frames() -> String { String(30 + rng.next(270)) }
        var specs: [String]
        switch fault {
        case .corruptRX, .dropReply, .truncateReply: specs = ["\(fault.rawValue)=\(probability())"]
        case .delayReply: specs = ["delay-reply=\(1 + rng.next(30))"]
        case .disconnect, .reenumerate, .reset: specs = ["\(fault.rawValue)=\(frames())"]
        case .mixed:
            specs = ["corrupt-rx=0.01", "drop-reply=0.01", "truncate-reply=0.01",
                     ["disconnect-after", "reenumerate-after", "reset-after"][rng.next(3)] + "=" + frames()]
        }
        faultSpecs = specs + ["seed=\(rng.next(1_000_000) + 1)"]
        images = [(0x1000, TestBytes.firmware(2_000 + rng.next(10_000), seed: rng.next())),
                  (0x8000, TestBytes.firmware(3_072, seed: rng.next())),
                  (0x10000, TestBytes.firmware(20_000 + rng.next(140_000), seed: rng.next()))]
        oldFlash = rng.next(3) == 0 ? TestBytes.firmware(Self.flashSize, seed: rng.next()) : nil
        baud = transport != .socket && rng.next(2) == 0 ? 460_800 : nil
        board = transport == .rfc2217 || (transport == .virtual && rng.next(2) == 0)
    }

    var label: String { "#\(index) \(transport.rawValue) \(chip) \(faultSpecs.joined(separator: " "))" + (board ? " board" : "") + (baud.map { " @\($0)" } ?? "") }

    /// Runs it in `dir` (fresh) and returns the outcome with a reason for anything but `verified`.
    func run(in dir: String, timeout: Double) throws -> (Outcome, String) {
        let flashFile = dir + "/flash.bin"
        if let oldFlash { try writeFile(oldFlash, flashFile) }
        // The campaign shortens esptool's 3 s command timeout: every lost reply costs one, and the emulator answers at once.
        try "[esptool]\ntimeout = 0.5\n".write(toFile: dir + "/esptool.cfg", atomically: true, encoding: .utf8)
        var files: [String] = []
        for (i, image) in images.enumerated() {
            try writeFile(image.data, dir + "/image\(i).bin")
            files += [String(format: "0x%x", image.address), dir + "/image\(i).bin"]
        }
        var emulator: BackgroundProcess?
        let port: String
        switch transport {
        case .virtual:
            port = "virtual://\(chip)?flash=\(flashFile)&size=1MB" + (board ? "&reset=circuit" : "")
                + faultSpecs.map { "&fault=" + $0.replacingOccurrences(of: "=", with: ":") }.joined()
        case .socket, .pty, .rfc2217:
            let extra = ["--flash-size", "1MB"] + faultSpecs.flatMap { ["--fault", $0] }
                + (transport == .pty ? ["--pty-link", dir + "/tty"] : [])
            let started = try BackgroundProcess.emulator(chip: chip, pty: transport == .pty, rfc2217: transport == .rfc2217,
                                                         flashFile: flashFile, extra: extra)
            emulator = started.process
            port = started.port
        }
        let arguments = ["write-flash", "--json", "-p", port] + (baud.map { ["-b", String($0)] } ?? []) + files
        let began = Date()
        let ran = try runProcess(CLI.binary, arguments, cwd: dir, timeout: timeout)
        let hung = Date().timeIntervalSince(began) >= timeout
        var emulatorNote = ""
        if let emulator {
            let crashed = !emulator.process.isRunning
            let log = emulator.stop()
            if crashed || emulator.process.terminationStatus != 0 {
                emulatorNote = "emulator exited \(emulator.process.terminationStatus)\(crashed ? " before the end" : ""): \(log.suffix(300))"
            }
        }
        let stdout = String(decoding: ran.stdout, as: UTF8.self)
        let stderr = String(decoding: ran.stderr, as: UTF8.self)
        if hung { return (.other, "hung (no exit within \(Int(timeout)) s)") }
        if !emulatorNote.isEmpty { return (.other, emulatorNote) }
        let flash = (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: flashFile)))) ?? []
        let wrong = images.enumerated().filter { _, image in
            flash.count < image.address + image.data.count || Array(flash[image.address..<(image.address + image.data.count)]) != image.data
        }.map(\.offset)
        let result = stdout.split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        switch ran.status {
        case 0:
            if wrong.isEmpty, result?["ok"] as? Bool == true { return (.verified, "") }
            return (.falseSuccess, "exit 0 but image(s) \(wrong) differ in flash")
        case 1:
            guard let result, result["ok"] as? Bool == false, let regions = result["regions"] as? [[String: Any]], regions.count == images.count else {
                return (.other, "exit 1 without a per-region report: \(stderr.suffix(300))")
            }
            // What the report calls good must be in flash.
            for region in regions where ["verified", "skipped"].contains(region["status"] as? String ?? "") {
                if let i = region["index"] as? Int, wrong.contains(i) { return (.falseSuccess, "report calls image \(i) good; flash differs") }
            }
            return (.failedWithReport, (result["error"] as? String ?? stderr).prefix(200).description)
        default:
            return (.other, "exit \(ran.status): \(stderr.suffix(300))")
        }
    }
}

/// Counts outcomes per transport and per fault kind, thread-safe, and renders the table.
final class CampaignTally: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var byTransport: [String: [CampaignRun.Outcome: Int]] = [:]
    private(set) var byFault: [String: [CampaignRun.Outcome: Int]] = [:]
    private(set) var total: [CampaignRun.Outcome: Int] = [:]
    private(set) var notes: [String] = []

    func add(_ run: CampaignRun, _ outcome: CampaignRun.Outcome, _ reason: String) {
        lock.lock()
        defer { lock.unlock() }
        byTransport[run.transport.rawValue, default: [:]][outcome, default: 0] += 1
        byFault[run.fault.rawValue, default: [:]][outcome, default: 0] += 1
        total[outcome, default: 0] += 1
        if outcome != .verified { notes.append("\(run.label): \(outcome.rawValue): \(reason)") }
    }

    func count(_ outcome: CampaignRun.Outcome) -> Int { lock.withLock { total[outcome, default: 0] } }

    func table(seconds: Double) -> String {
        lock.withLock {
            let columns = CampaignRun.Outcome.allCases
            func row(_ name: String, _ counts: [CampaignRun.Outcome: Int]) -> String {
                let runs = counts.values.reduce(0, +)
                return name.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%6d", runs)
                    + columns.map { String(format: "%*d", max(10, $0.rawValue.count + 2), counts[$0, default: 0]) }.joined()
            }
            let header = "".padding(toLength: 20, withPad: " ", startingAt: 0) + "  runs"
                + columns.map { String(repeating: " ", count: max(10, $0.rawValue.count + 2) - $0.rawValue.count) + $0.rawValue }.joined()
            var lines = [header]
            lines += CampaignRun.Transport.allCases.compactMap { t in byTransport[t.rawValue].map { row(t.rawValue, $0) } }
            lines.append("")
            lines += CampaignRun.Fault.allCases.compactMap { f in byFault[f.rawValue].map { row(f.rawValue, $0) } }
            lines.append("")
            lines.append(row("all", total))
            let runs = total.values.reduce(0, +)
            lines.append(String(format: "%.2f%% verified; %.0f s for %d runs", 100 * Double(total[.verified, default: 0]) / Double(max(1, runs)), seconds, runs))
            return (lines + notes.sorted()).joined(separator: "\n")
        }
    }
}
