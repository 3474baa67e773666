import Synchronization

/// The live state of each port, kept from the station's events and written to the store for the line's dashboard:
/// the ports that changed at most every `interval` (in one transaction), and all of them every `heartbeat` (so that
/// a dashboard can tell a station that stopped writing). Best effort: a state the database cannot take now is
/// written at the next try; records never wait for it.
final class PortStatePublisher: Sendable {
    private struct State {
        var ports: [String: PortState] = [:]
        var dirty: Set<String> = []
        var counted: Set<String> = []
    }

    let store: any StationStore
    let stationID: String
    let interval: Double
    let heartbeat: Double
    private let state = Mutex(State())

    init(store: any StationStore, stationID: String, ports: [String], interval: Double = 0.2, heartbeat: Double = 5) {
        self.store = store
        self.stationID = stationID
        self.interval = interval
        self.heartbeat = heartbeat
        let now = unixMilliseconds()
        state.withLock { s in
            for port in ports {
                s.ports[port] = PortState(stationID: stationID, port: port, activity: .starting, updatedAt: now)
                s.dirty.insert(port)
            }
        }
    }

    /// Updates the port the event is about.
    func note(_ event: StationEvent) {
        state.withLock { s in
            switch event {
            case .waiting(let port, let reason):
                Self.change(&s, port) { $0.activity = .waiting; $0.stage = nil; $0.progress = nil; $0.message = reason }
            case .moduleStarted(let port, _, let attemptID):
                Self.change(&s, port) { p in
                    (p.activity, p.stage, p.progress, p.mac, p.unit, p.attemptID, p.message) = (.running, .open, nil, nil, nil, attemptID, nil)
                }
            case .stage(let port, let stage, let mac, let unit):
                Self.change(&s, port) { p in
                    p.activity = .running
                    if p.stage != stage, ![.erase, .write, .verify].contains(stage) { p.progress = nil }
                    p.stage = stage
                    if let mac { p.mac = mac }
                    if let unit { p.unit = unit }
                }
            case .progress(let port, let fraction):
                Self.change(&s, port) { $0.progress = fraction }
            case .recorded(let port, let record), .recordKept(let port, let record, _):
                let first = s.counted.insert(record.attemptID).inserted
                Self.change(&s, port) { p in
                    if first { if record.result == .passed { p.passed += 1 } else { p.failed += 1 } }
                    guard p.attemptID == record.attemptID || p.attemptID == nil else { return }
                    p.lastResult = record.result
                    p.lastError = record.result == .failed ? "\(record.stage.rawValue): \(record.error ?? record.reason ?? "failed")" : nil
                    if p.activity == .running { (p.activity, p.stage, p.progress) = (.waiting, nil, nil) }
                }
            case .portStopped(let port, let reason):
                Self.change(&s, port) { $0.activity = .stopped; $0.stage = nil; $0.progress = nil; $0.message = reason }
            case .databaseUnavailable(let port, let message, _):
                Self.change(&s, port) { $0.activity = .databaseUnavailable; $0.message = message }
            case .databaseBack(let port, _):
                Self.change(&s, port) { p in if p.activity == .databaseUnavailable { p.activity = .waiting; p.message = nil } }
            case .portFound(let port):
                // A discovered port (hot-plug): new to the dashboard, or back after it went away.
                if s.ports[port] == nil {
                    s.ports[port] = PortState(stationID: stationID, port: port, activity: .waiting, updatedAt: unixMilliseconds())
                    s.dirty.insert(port)
                } else {
                    Self.change(&s, port) { $0.activity = .waiting; $0.stage = nil; $0.progress = nil; $0.message = nil }
                }
            case .started, .recovered, .retry, .note:
                break
            }
        }
    }

    private static func change(_ s: inout State, _ port: String, _ body: (inout PortState) -> Void) {
        guard var p = s.ports[port] else { return }
        let before = p
        body(&p)
        if p != before {
            s.ports[port] = p
            s.dirty.insert(port)
        }
    }

    /// Writes changed states until the task is cancelled.
    func run() async {
        var sinceFull = 0.0
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
            sinceFull += interval
            let all = sinceFull >= heartbeat
            if all { sinceFull = 0 }
            await flush(all: all)
        }
    }

    /// Writes the changed states (all of them when `all`), stamped now.
    func flush(all: Bool = false) async {
        let now = unixMilliseconds()
        let states = state.withLock { s -> [PortState] in
            let names = all ? Set(s.ports.keys) : s.dirty
            s.dirty = []
            return names.sorted().compactMap { name in
                s.ports[name]?.updatedAt = now
                return s.ports[name]
            }
        }
        guard !states.isEmpty else { return }
        do throws(StoreError) { try await store.publish(states) } catch {
            state.withLock { s in s.dirty.formUnion(states.map(\.port)) }
        }
    }
}
