import ImageFormats
import SerialBootloader
import Synchronization

/// A port the station drives, and the port of its module's AT UART (the same emulated chip for `virtual://`).
public struct StationPort: Sendable {
    public var address: PortAddress
    public var atAddress: PortAddress?
    public var name: String { address.description }

    public init(address: PortAddress, atAddress: PortAddress? = nil) {
        self.address = address
        self.atAddress = atAddress
    }

    /// A recipe's `[[port]]` (or a `--port`): `virtual://` ports test over their own chip's AT UART.
    public init(path: String, atPath: String?) throws(PortAddress.ParseError) {
        address = try PortAddress(parsing: path)
        if let atPath {
            atAddress = try PortAddress(parsing: atPath)
        } else if case .virtual = address {
            atAddress = address
        }
    }
}

/// Everything a station run needs.
public struct StationConfiguration: Sendable {
    public var plan: StationPlan
    public var ports: [StationPort]
    public var store: any StationStore
    /// Opens the ports (ChipEmulator's opener adds `virtual://`, and its line ports).
    public var opener: any PortOpener
    public var stationID: String
    public var operatorName: String
    /// Stop after this many module attempts in all (`--modules`); nil runs until stopped.
    public var moduleLimit: Int?
    public var before: BeforeAction = .defaultReset
    /// How long a port that is not a line port waits between looks for a new module.
    public var presencePoll = 1.0
    /// Where records go that the database cannot take (see `RecordJournal`); without one, a database failure
    /// stops the port (and the run ends with it).
    public var journal: RecordJournal?
    /// A port that lost the database tries again after the first delay, doubling up to the second.
    public var databaseRetry: (first: Double, maximum: Double) = (0.25, 5)
    /// Publish each port's live state for the line's dashboard (`port_state`).
    public var publishesPortStates = true
    /// Ports found by themselves, besides `ports` (hot-plug): nil takes `ports` only.
    public var discovery: PortDiscovery?

    public init(plan: StationPlan, ports: [StationPort], store: any StationStore, opener: any PortOpener, stationID: String,
                operatorName: String, moduleLimit: Int? = nil) {
        self.plan = plan
        self.ports = ports
        self.store = store
        self.opener = opener
        self.stationID = stationID
        self.operatorName = operatorName
        self.moduleLimit = moduleLimit
    }
}

/// Shared by the ports of one run.
final class StationContext: Sendable {
    let plan: StationPlan
    let store: any StationStore
    let opener: any PortOpener
    let stationID: String
    let operatorName: String
    let before: BeforeAction
    let cancellation: CancellationFlag
    let onEvent: @Sendable (StationEvent) -> Void
    let journal: RecordJournal?
    let databaseRetry: (first: Double, maximum: Double)
    private let budget: Mutex<(started: Int, limit: Int?, exhausted: Bool)>

    init(_ configuration: StationConfiguration, cancellation: CancellationFlag, onEvent: @escaping @Sendable (StationEvent) -> Void) {
        plan = configuration.plan
        store = configuration.store
        opener = configuration.opener
        stationID = configuration.stationID
        operatorName = configuration.operatorName
        before = configuration.before
        journal = configuration.journal
        databaseRetry = configuration.databaseRetry
        self.cancellation = cancellation
        self.onEvent = onEvent
        budget = Mutex((0, configuration.moduleLimit, false))
    }

    var releasePolicy: ReleasePolicy { plan.recipe.unit?.release ?? .never }

    /// Takes the next module attempt; nil when the run has had its modules, was stopped, or the pool is empty.
    func claim() -> Int? {
        guard !cancellation.isCancelled else { return nil }
        return budget.withLock { b in
            if b.exhausted { return nil }
            if let limit = b.limit, b.started >= limit { return nil }
            b.started += 1
            return b.started
        }
    }

    func poolExhausted() { budget.withLock { $0.exhausted = true } }

    /// Gives back a claimed attempt that never started (the database was away before the module was touched).
    func unclaim() { budget.withLock { $0.started -= 1 } }

    var stopReason: String {
        if cancellation.isCancelled { return "stopped" }
        return budget.withLock { b in b.exhausted ? "the pool has no free unit left" : "all \(b.limit ?? b.started) module attempts are done" }
    }

    func isLine(_ port: StationPort) -> Bool {
        (opener as? any ModuleLineOpener)?.isLine(port.address) ?? false
    }
}

/// Runs the station: every port on its own task, each module through `ModuleRun`, until the module budget is used,
/// the pool is empty, or `cancellation` is set (Ctrl-C): then each module in flight stops at its next device command
/// (a test that runs finishes) and is recorded.
public struct StationRunner: Sendable {
    public let configuration: StationConfiguration

    public init(_ configuration: StationConfiguration) {
        self.configuration = configuration
    }

    /// Returns the run's totals; throws when the store fails for good (the ports stop first, each recording what
    /// it can). Records the journal kept from an earlier run are written first (before modules left in flight are
    /// recorded as abandoned: a kept record is the truer one).
    public func run(cancellation: CancellationFlag, onEvent: @escaping @Sendable (StationEvent) -> Void) async throws(StoreError) -> StationTotals {
        let publisher = configuration.publishesPortStates
            ? PortStatePublisher(store: configuration.store, stationID: configuration.stationID, ports: configuration.ports.map(\.name)) : nil
        let context = StationContext(configuration, cancellation: cancellation) { event in
            publisher?.note(event)
            onEvent(event)
        }
        let publishing = Task { await publisher?.run() }
        defer { publishing.cancel() }
        let plan = configuration.plan
        var totals = StationTotals()
        if let journal = configuration.journal {
            for record in try await journal.replay(into: configuration.store) { context.onEvent(.recorded(port: record.port, record: record)) }
        }
        var imported: UnitImport?
        if let pool = plan.pool { imported = try await configuration.store.importUnits(pool) }
        context.onEvent(.started(ports: configuration.ports.map(\.name), units: imported))
        let policy = context.releasePolicy
        for record in try await configuration.store.recoverAbandoned(stationID: configuration.stationID, at: unixMilliseconds(),
                                                                     release: { policy.releases($0, unitFiles: []) }) {
            totals.recovered += 1
            context.onEvent(.recovered(record))
        }
        let results = await withTaskGroup(of: PortResult.self) { group in
            for port in configuration.ports {
                group.addTask { await PortLoop(context: context, port: port, presencePoll: configuration.presencePoll).run() }
            }
            if let discovery = configuration.discovery {
                await Self.discover(discovery, context: context, presencePoll: configuration.presencePoll, group: &group)
            }
            var all: [PortResult] = []
            for await result in group { all.append(result) }
            return all
        }
        for result in results { for record in result.records { totals.add(record) } }
        await finishJournal(context)
        // The last states (every port stopped) go out after the periodic writer has ended: a write of its still in
        // flight could otherwise commit after them and leave a port shown as waiting.
        publishing.cancel()
        await publishing.value
        await publisher?.flush()
        if let error = results.compactMap(\.error).first { throw error }
        return totals
    }

    /// A last try at the journal's records; those left are named in a warning (the next run writes them).
    private func finishJournal(_ context: StationContext) async {
        guard let journal = configuration.journal, !(await journal.pending().isEmpty) else { return }
        if let written = try? await journal.replay(into: configuration.store) {
            for record in written { context.onEvent(.recorded(port: record.port, record: record)) }
        }
        let left = await journal.pending().count
        if left > 0 {
            context.onEvent(.note(port: nil, message: "\(left) record(s) could not be written to \(configuration.store.location) and are kept in "
                                  + "\(journal.path); the station writes them when it next runs and reaches the database", isWarning: true))
        }
    }
}

extension StationRunner {
    /// Starts a loop for every port that appears, until the run stops taking modules; a loop ends when its port
    /// goes away (and starts again if it comes back).
    static func discover(_ discovery: PortDiscovery, context: StationContext, presencePoll: Double,
                         group: inout TaskGroup<PortResult>) async {
        let active = ActivePorts()
        while !context.cancellation.isCancelled, context.claimable {
            for path in discovery.candidates() where active.take(path) {
                let port: StationPort
                do { port = try StationPort(path: path, atPath: nil) } catch {
                    active.release(path)
                    continue
                }
                context.onEvent(.portFound(port: port.name))
                group.addTask {
                    defer { active.release(path) }
                    return await PortLoop(context: context, port: port, presencePoll: presencePoll,
                                          presence: { discovery.isPresent(path) }).run()
                }
            }
            try? await Task.sleep(nanoseconds: UInt64(discovery.interval * 1e9))
        }
    }
}

struct PortResult: Sendable {
    var records: [ModuleRecord] = []
    var error: StoreError?
}

/// One port: module after module. A line port has the next module as soon as the last is done; another port waits
/// until a module answers whose MAC is not the last one's (or the port went away and came back).
struct PortLoop {
    let context: StationContext
    let port: StationPort
    let presencePoll: Double
    /// For a discovered port: whether it is still there (nil: a listed port, which stays).
    var presence: (@Sendable () -> Bool)? = nil

    func run() async -> PortResult {
        var result = PortResult()
        let line = context.isLine(port)
        var lastMAC: String?
        while true {
            if !line {
                guard let mac = await waitForModule(after: lastMAC) else { break }
                lastMAC = mac
            }
            guard let number = context.claim() else { break }
            let end: ModuleEnd
            do throws(StoreError) {
                end = try await ModuleRun(context: context, port: port, number: number).run()
            } catch {
                result.error = error
                context.onEvent(.portStopped(port: port.name, reason: "the database failed: \(error.message)"))
                return result
            }
            switch end {
            case .recorded(let record):
                result.records.append(record)
                if record.mac != nil { lastMAC = record.mac }
            case .databaseLost(let record, let error):
                result.records.append(record)
                if record.mac != nil { lastMAC = record.mac }
                guard await waitForDatabase(error) else { return stopped(result) }
            case .notStarted(let error):
                context.unclaim()
                guard await waitForDatabase(error) else { return stopped(result) }
                continue
            }
            if line, let lines = context.opener as? any ModuleLineOpener { lines.moduleDone(at: port.address) }
        }
        return stopped(result)
    }

    private func stopped(_ result: PortResult) -> PortResult {
        let gone = presence.map { !$0() } ?? false
        context.onEvent(.portStopped(port: port.name, reason: gone ? "the port went away" : context.stopReason))
        return result
    }

    /// The database is away: says so, then tries it again with a growing delay until it answers (true), writing the
    /// journal's records then, or until the run is stopped (false).
    private func waitForDatabase(_ error: StoreError) async -> Bool {
        var delay = context.databaseRetry.first
        var message = error.message
        context.onEvent(.databaseUnavailable(port: port.name, message: message, retryIn: delay))
        while !context.cancellation.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            if context.cancellation.isCancelled { break }
            do throws(StoreError) {
                try await context.store.ping()
                let written = try await context.journal?.replay(into: context.store) ?? []
                for record in written { context.onEvent(.recorded(port: record.port, record: record)) }
                context.onEvent(.databaseBack(port: port.name, replayed: written.count))
                return true
            } catch {
                delay = min(context.databaseRetry.maximum, delay * 2)
                if error.message != message {
                    message = error.message
                    context.onEvent(.databaseUnavailable(port: port.name, message: message, retryIn: delay))
                }
            }
        }
        return false
    }

    /// Looks for a module (a connect that answers) whose MAC differs from `previous`; nil when the run stops first.
    private func waitForModule(after previous: String?) async -> String? {
        var request = ConnectRequest(port: port.address, opener: context.opener)
        request.before = context.before
        request.connectAttempts = 2
        request.reopenTimeout = 0
        let probe = request
        var told: String?
        while !context.cancellation.isCancelled, context.claimable {
            let mac = await DeviceJob.detached(cancellation: context.cancellation) { () -> String? in
                do throws(JobFailure) {
                    let session = try DeviceSession.connect(probe)
                    defer { session.close() }
                    return session.info.macText
                } catch { return nil }
            }
            if let mac, mac != previous { return mac }
            let reason = mac == nil ? "waiting for a module" : "remove the module \(mac!)"
            if told != reason {
                context.onEvent(.waiting(port: port.name, reason: reason))
                told = reason
            }
            if mac == nil, let presence, !presence() { return nil }  // unplugged: the port's loop ends
            if mac == nil, previous != nil { return await waitForModule(after: nil) }
            await sleep(seconds: presencePoll)
        }
        return nil
    }

    private func sleep(seconds: Double) async {
        try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
    }
}

extension StationContext {
    /// Whether another module may still start (without taking it).
    var claimable: Bool {
        budget.withLock { b in !b.exhausted && (b.limit.map { b.started < $0 } ?? true) }
    }
}
