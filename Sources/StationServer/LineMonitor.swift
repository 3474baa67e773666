import ImageFormats
import Station

/// Follows the line in the database and tells every dashboard that listens: it reads again whenever the store
/// signals a change (PostgreSQL NOTIFY, the SQLite poll) and at least every `tick` seconds (time moves the hour
/// buckets and ages ports out), keeps the records of the window (new ones by id: ids grow in commit order), and
/// sends each listener a `record` event per new record and a `state` event with the whole view after every change.
actor LineMonitor {
    let store: any StationStore
    let windowHours: Int
    let tick: Double
    private var records: [ModuleRecord] = []
    private var lastID: Int64 = 0
    private var loaded = false
    private var ports: [PortState] = []
    private var modulesInFlight = 0
    private var schemaVersion = 0
    private var databaseError: String?
    private var lastState = ""
    private var listeners: [Int: AsyncStream<String>.Continuation] = [:]
    private var nextListener = 0
    private var refreshing = false
    private var again = false

    init(store: any StationStore, windowHours: Int = 24, tick: Double = 2) {
        self.store = store
        self.windowHours = windowHours
        self.tick = tick
    }

    /// Follows the store until the calling task is cancelled.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in self.store.changes() { await self.refresh() }
            }
            group.addTask {
                var sinceKeepAlive = 0.0
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: UInt64(self.tick * 1e9))
                    await self.refresh()
                    sinceKeepAlive += self.tick
                    if sinceKeepAlive >= 15 {
                        sinceKeepAlive = 0
                        await self.broadcast(": keep-alive\n\n")
                    }
                }
            }
            await group.waitForAll()
        }
        for listener in listeners.values { listener.finish() }
        listeners = [:]
    }

    /// The current view as JSON.
    func state() async -> JSONValue {
        if !loaded { await refresh() }
        return view().json()
    }

    private func view() -> LineView {
        LineView(location: store.location, schemaVersion: schemaVersion, databaseError: databaseError, ports: ports, records: records,
                 modulesInFlight: modulesInFlight, now: unixMilliseconds(), windowHours: windowHours)
    }

    /// A listener's events, already in server-sent-event form; the first one is the current `state`.
    func listen() async -> AsyncStream<String> {
        if !loaded { await refresh() }
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(256))
        let id = nextListener
        nextListener += 1
        listeners[id] = continuation
        continuation.onTermination = { _ in Task { await self.drop(id) } }
        continuation.yield(Self.event("state", view().json()))
        return stream
    }

    private func drop(_ id: Int) { listeners[id] = nil }

    static func event(_ name: String, _ data: JSONValue) -> String {
        "event: \(name)\ndata: \(data.rendered(pretty: false))\n\n"
    }

    /// Reads what changed; one refresh at a time (a change signalled meanwhile makes it read once more).
    func refresh() async {
        if refreshing { again = true; return }
        refreshing = true
        defer { refreshing = false }
        repeat {
            again = false
            await read()
        } while again
    }

    private func read() async {
        let now = unixMilliseconds()
        let since = now - Int64(windowHours) * 3_600_000
        do throws(StoreError) {
            if !loaded { schemaVersion = try await store.schemaVersion() }
            let new = try await store.records(loaded ? RecordQuery(afterID: lastID) : RecordQuery(finishedSince: since))
            ports = try await store.portStates()
            modulesInFlight = try await store.inFlight(stationID: nil).count
            databaseError = nil
            records.removeAll { $0.finishedAt < since }
            records += new
            if let last = new.last?.id { lastID = max(lastID, last) }
            if loaded { for record in new { broadcast(Self.event("record", RecordExport.json(record))) } }
            loaded = true
        } catch {
            databaseError = error.message
        }
        let state = view().json().rendered(pretty: false)
        // The view carries its own time: compare without it, so that an unchanged line sends nothing.
        let content = state.replacing(#/"generated_at":"[^"]*",/#, with: "")
        if content != lastState {
            lastState = content
            broadcast("event: state\ndata: \(state)\n\n")
        }
    }

    private func broadcast(_ event: String) {
        for listener in listeners.values { listener.yield(event) }
    }
}
