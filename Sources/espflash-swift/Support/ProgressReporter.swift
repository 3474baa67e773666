import SerialBootloader
#if canImport(Glibc)
import Glibc
#endif

/// Shows a device command's progress: NDJSON events with `--json`, a bar per region on a terminal, plain lines
/// otherwise. Human text goes to stdout like esptool's; errors stay on stderr.
final class ProgressReporter {
    let json: Bool
    let terminal: Bool
    private var regionNames: [Int: (name: String, address: Int, size: Int)] = [:]
    private var regionStarted: [Int: Double] = [:]
    private var lastShown: [Int: Int] = [:]
    private var barOpen = false

    init(json: Bool) {
        self.json = json
        terminal = !json && isatty(1) != 0
    }

    /// One NDJSON line (only with --json).
    func event(_ name: String, _ fields: [(String, JSONValue)]) {
        guard json else { return }
        Console.out(JSONValue.object([("event", .string(name))] + fields).rendered(pretty: false) + "\n")
    }

    /// A line of text (only without --json).
    func say(_ text: String) {
        guard !json else { return }
        closeBar()
        Console.out(text + "\n")
    }

    func note(_ text: String) {
        closeBar()
        Console.write(2, "note: " + text + "\n")
    }

    private func closeBar() {
        if barOpen { Console.out("\n"); barOpen = false }
    }

    func handle(_ e: FlashEvent) {
        switch e {
        case .regionStarted(let index, let name, let address, let size):
            regionNames[index] = (name, address, size)
            regionStarted[index] = monotonicSeconds()
            lastShown[index] = -1
            event("region_start", [("index", .int(index)), ("file", .string(name)), ("address", .int(address)), ("size", .int(size))])
            say("\(hexAddress(address)) \(name): \(size) bytes")
        case .regionSkipped(let index, let reason):
            event("region_skip", [("index", .int(index)), ("reason", .string(reason))])
            say("\(label(index)): skipped, \(reason)")
        case .progress(let index, let done, let total):
            progress(index: index, done: done, total: total)
        case .recovering(let index, let attempt, let reason):
            event("retry", [("index", index >= 0 ? .int(index) : .null), ("attempt", .int(attempt)), ("reason", .string(reason))])
            if !json { closeBar(); Console.write(2, "warning: \(index >= 0 ? label(index) + ": " : "")\(reason); re-syncing (retry \(attempt))\n") }
        case .resumed(let index, let address):
            event("resume", [("index", .int(index)), ("address", .int(address))])
            say("\(label(index)): resuming at \(hexAddress(address))")
        case .erasing(let index, let address, let size):
            event("erase", [("index", .int(index)), ("address", .int(address)), ("size", .int(size))])
        case .regionWritten(let index):
            event("region_written", [("index", .int(index))])
        case .regionVerified(let index, let md5):
            event("region_verified", [("index", .int(index)), ("md5", .string(md5))])
            let seconds = monotonicSeconds() - (regionStarted[index] ?? monotonicSeconds())
            say("\(label(index)): written and verified in \(formatDuration(seconds)) (MD5 \(md5))")
        case .regionFailed(let index, let reason):
            event("region_failed", [("index", .int(index)), ("reason", .string(reason))])
        }
    }

    private func label(_ index: Int) -> String {
        guard let r = regionNames[index] else { return "region \(index)" }
        return "\(hexAddress(r.address)) \(r.name)"
    }

    /// Byte progress: every 10% as events or lines, continuously as a bar.
    func progress(index: Int, done: Int, total: Int) {
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
        if !json, percent < 100 || done == total { say("  \(percent)% (\(done)/\(total) bytes)") }
    }
}

func hexAddress(_ value: Int) -> String {
    let h = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - h.count)) + h
}

func formatDuration(_ seconds: Double) -> String {
    if seconds < 10 { return String(Int(seconds * 10) / 10) + "." + String(Int(seconds * 10) % 10) + " s" }
    return "\(Int(seconds)) s"
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
