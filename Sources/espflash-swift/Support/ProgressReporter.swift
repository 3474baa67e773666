import SerialBootloader
#if canImport(Glibc)
import Glibc
#endif

/// Renders a device job's events: NDJSON lines with `--json` (every line carries `"schema": 1`), a bar per region
/// on a terminal, plain lines otherwise. Human text goes to stdout like esptool's; notes, warnings and errors go to
/// stderr. Used from the one thread that runs the job (hence unchecked Sendable for the job's event sink).
final class ProgressReporter: @unchecked Sendable {
    let json: Bool
    /// `--silent`: no text on stdout (errors and warnings still go to stderr; --json is unaffected).
    let silent: Bool
    let terminal: Bool
    /// `--no-progress`: no progress lines or bar (the --json progress events stay).
    var showProgress = true
    /// The NDJSON schema version every event carries.
    static let schema = 1
    private var regions: [Int: RegionInfo] = [:]
    private var regionStarted: [Int: Double] = [:]
    private var lastShown: [Int: Int] = [:]
    private var barOpen = false

    init(json: Bool, silent: Bool = false) {
        self.json = json
        self.silent = silent
        terminal = !json && !silent && isatty(1) != 0
    }

    /// One NDJSON line (only with --json).
    func event(_ name: String, _ fields: [(String, JSONValue)]) {
        guard json else { return }
        Console.out(JSONValue.object([("event", .string(name)), ("schema", .int(Self.schema))] + fields).rendered(pretty: false) + "\n")
    }

    /// A line of text (only without --json).
    func say(_ text: String) {
        guard !json, !silent else { return }
        closeBar()
        Console.out(text + "\n")
    }

    /// A note or warning: stderr in both modes, and a `note` event with --json.
    func note(_ text: String, warning: Bool = false) {
        event("note", [("level", .string(warning ? "warning" : "info")), ("message", .string(text))])
        closeBar()
        Console.write(2, (warning ? "warning: " : "note: ") + text + "\n")
    }

    private func closeBar() {
        if barOpen { Console.out("\n"); barOpen = false }
    }

    func handle(_ e: JobEvent) {
        switch e {
        case .stageStarted(let stage):
            event("stage", [("stage", .string(stage.rawValue))])
        case .connected(let info):
            event("connect", Self.deviceFields(info) + [("baud", .int(info.baudRate))])
            say("Connected to \(info.chip.displayName) on \(info.port), MAC \(info.macText), flash \(info.flashSize)")
        case .note(let text, let isWarning):
            note(text, warning: isWarning)
        case .portReopened(let port):
            event("port_reopened", [("port", .string(port))])
            if !json { closeBar(); Console.write(2, "note: \(port) was opened again\n") }
        case .headerPatched(let index, let parameters):
            event("header_patched", [("index", .int(index)), ("parameters", .string(hex4(Int(parameters))))])
            say("Flash parameters of \(regions[index]?.name ?? "region \(index)") set to \(hex4(Int(parameters)))")
        case .regionStarted(let info):
            regions[info.index] = info
            regionStarted[info.index] = monotonicSeconds()
            lastShown[info.index] = -1
            event("region_start", [("index", .int(info.index)), ("file", .string(info.name)), ("address", .int(info.address)),
                                   ("size", .int(info.size)), ("md5", .optional(info.md5))])
            say("\(hexAddress(info.address)) \(info.name): \(info.size) bytes")
        case .regionSkipped(let index, let reason):
            event("region_skip", [("index", .int(index)), ("reason", .string(reason))])
            say("\(label(index)): skipped, \(reason)")
        case .progress(let index, let done, let total):
            progress(index: index, done: done, total: total)
        case .erasing(let index, let address, let size):
            event("erase", [("index", index.map(JSONValue.int) ?? .null), ("address", .int(address)), ("size", .int(size))])
        case .regionWritten(let index):
            event("region_written", [("index", .int(index))])
        case .regionVerified(let index, let md5):
            event("region_verified", [("index", .int(index)), ("md5", .string(md5))])
            let seconds = monotonicSeconds() - (regionStarted[index] ?? monotonicSeconds())
            say("\(label(index)): verified in \(formatDuration(seconds)) (MD5 \(md5))")
        case .regionFailed(let index, let reason):
            event("region_failed", [("index", .int(index)), ("reason", .string(reason))])
            if !json { closeBar(); Console.write(2, "error: \(label(index)): \(reason)\n") }
        case .retry(let index, let attempt, let reason):
            event("retry", [("index", index.map(JSONValue.int) ?? .null), ("attempt", .int(attempt)), ("reason", .string(reason))])
            if !json { closeBar(); Console.write(2, "warning: \(index.map { label($0) + ": " } ?? "")\(reason); re-syncing (retry \(attempt))\n") }
        case .resumed(let index, let address):
            event("resume", [("index", .int(index)), ("address", .int(address))])
            say("\(label(index)): resuming at \(hexAddress(address))")
        }
    }

    /// The chip facts every `connect` event and result line carry.
    static func deviceFields(_ info: DeviceInfo) -> [(String, JSONValue)] {
        [("port", .string(info.port)), ("chip", .string(info.chip.rawValue)), ("revision", .optional(info.revision?.description)),
         ("mac", .string(info.macText)), ("flash_id", .string(hexAddress(Int(info.flashID)))), ("flash_size", .int(info.flashSize.bytes))]
    }

    private func label(_ index: Int) -> String {
        guard let r = regions[index] else { return "region \(index)" }
        return "\(hexAddress(r.address)) \(r.name)"
    }

    /// Byte progress: every 10% as events or lines, continuously as a bar.
    func progress(index: Int, done: Int, total: Int) {
        guard showProgress || json else { return }
        let percent = total == 0 ? 100 : done * 100 / total
        let elapsed = monotonicSeconds() - (regionStarted[index] ?? monotonicSeconds())
        if terminal {
            let width = 30
            let filled = min(width, percent * width / 100)
            let rate = elapsed > 0 ? Double(done) / elapsed : 0
            let eta = rate > 0 ? Double(total - done) / rate : 0
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            Console.out("\r  [\(bar)] \(percent)% \(done)/\(total) B \(Int(rate / 1024)) KB/s ETA \(formatDuration(eta))   ")
            barOpen = true
            if done >= total { closeBar() }
            return
        }
        let step = percent / 10
        guard step > lastShown[index, default: -1] else { return }
        lastShown[index] = step
        event("progress", [("index", .int(index)), ("done", .int(done)), ("total", .int(total))])
        if !json, !silent, percent < 100 || done == total { say("  \(percent)% (\(done)/\(total) bytes)") }
    }
}

func hexAddress(_ value: Int) -> String {
    let h = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - h.count)) + h
}

/// `0x0220`.
func hex4(_ value: Int) -> String {
    let h = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 4 - h.count)) + h
}

func formatDuration(_ seconds: Double) -> String {
    if seconds < 10 { return String(Int(seconds * 10) / 10) + "." + String(Int(seconds * 10) % 10) + " s" }
    return "\(Int(seconds)) s"
}

func formatSecondsValue(_ s: Double) -> String {
    let ms = Int((s * 1000).rounded())
    let frac = String(ms % 1000)
    return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
