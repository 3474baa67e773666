import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time in Unix milliseconds (what records store).
public func unixMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

func monotonic() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// The stages one module went through and the time spent in each (a stage entered twice, as on a retry, adds
/// up), the flashing progress, and the retries; fed from the module's task and its jobs' threads.
final class StageClock: Sendable {
    private struct State {
        var stage: StationStage = .open
        var since = monotonic()
        var times: [StageTime] = []
        var retries = 0
        var regionSizes: [Int: Int] = [:]
        var regionDone: [Int: Int] = [:]
        var totalBytes = 0
        var lastShown = -1.0
    }

    private let state = Mutex(State())

    var stage: StationStage { state.withLock { $0.stage } }
    var retries: Int { state.withLock { $0.retries } }

    /// Enters `stage` (the previous one's time is closed); returns whether it is a new stage.
    @discardableResult
    func enter(_ stage: StationStage) -> Bool {
        state.withLock { s in
            Self.close(&s)
            let changed = s.stage != stage
            s.stage = stage
            return changed
        }
    }

    /// Closes the current stage's time (when the module is done).
    func stop() { state.withLock { Self.close(&$0) } }

    private static func close(_ s: inout State) {
        let now = monotonic()
        let ms = Int(((now - s.since) * 1000).rounded())
        if let i = s.times.firstIndex(where: { $0.stage == s.stage }) { s.times[i].milliseconds += ms } else {
            s.times.append(StageTime(stage: s.stage, milliseconds: ms))
        }
        s.since = now
    }

    var times: [StageTime] { state.withLock { $0.times } }

    func addRetry() { state.withLock { $0.retries += 1 } }

    /// The bytes the write job will go through (the images' sizes).
    func expect(bytes: Int) { state.withLock { $0.totalBytes = max(1, bytes); $0.regionDone = [:]; $0.lastShown = -1 } }

    /// Progress of one region; returns the whole module's fraction when it moved by 2 % or more.
    func progress(index: Int, done: Int) -> Double? {
        state.withLock { s in
            s.regionDone[index] = done
            let fraction = min(1, Double(s.regionDone.values.reduce(0, +)) / Double(max(1, s.totalBytes)))
            guard fraction - s.lastShown >= 0.02 || (fraction >= 1 && s.lastShown < 1) else { return nil }
            s.lastShown = fraction
            return fraction
        }
    }
}
