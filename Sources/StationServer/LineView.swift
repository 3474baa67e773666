import ImageFormats
import Station

/// What the dashboard shows, computed from the records of a time window and the ports' published states: every
/// station's ports (a port whose station stopped writing is `offline`), yield per hour and per stage, the last
/// failures, the totals. Rendered as the `state` event and `/api/state`.
struct LineView {
    var location: String
    var schemaVersion: Int
    /// The database could not be read at the last look (the view is the last one read).
    var databaseError: String?
    var ports: [PortState]
    /// Records finished in the window, in id order.
    var records: [ModuleRecord]
    var modulesInFlight: Int
    var now: Int64
    var windowHours: Int

    /// A port whose station has not written its state for this long, and did not say it stopped, is offline.
    static let offlineAfter: Int64 = 15_000

    func activity(_ port: PortState) -> String {
        if port.activity != .stopped, now - port.updatedAt > Self.offlineAfter { return "offline" }
        return port.activity.rawValue
    }

    func json() -> JSONValue {
        let passed = records.filter { $0.result == .passed }.count
        return .object([
            ("generated_at", .string(RecordExport.isoTime(now))), ("database", .string(location)), ("schema_version", .int(schemaVersion)),
            ("database_error", .optional(databaseError)), ("window_hours", .int(windowHours)),
            ("totals", .object([("modules", .int(records.count)), ("passed", .int(passed)), ("failed", .int(records.count - passed)),
                                ("yield", records.isEmpty ? .null : .double(Double(passed) / Double(records.count))),
                                ("in_flight", .int(modulesInFlight))])),
            ("stations", .array(stations())),
            ("yield_per_hour", .array(hours())),
            ("yield_per_stage", .array(StageYield.compute(records).map { y in
                .object([("stage", .string(y.stage.rawValue)), ("entered", .int(y.entered)), ("passed", .int(y.passed)),
                         ("failed", .int(y.failed)), ("yield", .double(y.fraction))])
            })),
            ("last_failures", .array(records.filter { $0.result == .failed }.suffix(10).reversed().map(Self.failure))),
        ])
    }

    private func stations() -> [JSONValue] {
        let byStation = Dictionary(grouping: ports, by: \.stationID)
        return byStation.keys.sorted().map { station in
            .object([("station_id", .string(station)), ("ports", .array(byStation[station]!.sorted { $0.port < $1.port }.map { p in
                .object([("port", .string(p.port)), ("state", .string(activity(p))), ("stage", .optional(p.stage?.rawValue)),
                         ("progress", p.progress.map { .double($0) } ?? .null), ("mac", .optional(p.mac)), ("unit", .optional(p.unit)),
                         ("message", .optional(p.message)), ("last_result", .optional(p.lastResult?.rawValue)),
                         ("last_error", .optional(p.lastError)), ("passed", .int(p.passed)), ("failed", .int(p.failed)),
                         ("updated_at", .string(RecordExport.isoTime(p.updatedAt)))])
            }))])
        }
    }

    /// One entry per hour of the window (UTC hours, oldest first), empty hours included.
    private func hours() -> [JSONValue] {
        let hour: Int64 = 3_600_000
        let last = now / hour
        var counts = [Int64: (passed: Int, failed: Int)]()
        for r in records {
            if r.result == .passed { counts[r.finishedAt / hour, default: (0, 0)].passed += 1 } else { counts[r.finishedAt / hour, default: (0, 0)].failed += 1 }
        }
        return (last - Int64(windowHours) + 1...last).map { h in
            let c = counts[h] ?? (0, 0)
            let total = c.passed + c.failed
            return .object([("hour", .string(RecordExport.isoTime(h * hour))), ("passed", .int(c.passed)), ("failed", .int(c.failed)),
                            ("yield", total == 0 ? .null : .double(Double(c.passed) / Double(total)))])
        }
    }

    static func failure(_ r: ModuleRecord) -> JSONValue {
        .object([("id", r.id.map { .int(Int($0)) } ?? .null), ("finished_at", .string(RecordExport.isoTime(r.finishedAt))),
                 ("station_id", .string(r.stationID)), ("port", .string(r.port)), ("mac", .optional(r.mac)), ("unit", .optional(r.unit)),
                 ("stage", .string(r.stage.rawValue)), ("reason", .optional(r.reason)), ("error", .optional(r.error))])
    }
}
