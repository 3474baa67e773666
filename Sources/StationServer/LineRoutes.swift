import Hummingbird
import ImageFormats
import Station

/// The dashboard's endpoints (all GET; documented in the README):
/// - `/`: the page; `/api/state`: the view (stations, ports, yields, last failures, totals);
/// - `/api/events`: server-sent events: `state` (the view, at once and after every change) and `record` (each new
///   record), a comment every 15 s to keep proxies from closing the stream;
/// - `/api/records` and `/api/records.csv`: records, newest first, filtered by `q` (a MAC with or without
///   separators, a unit id, or any value of a unit such as its serial), `mac`, `unit`, `station`, `result`, `limit`;
/// - `/api/units?q=`: the units whose id or a value is `q`, and the MAC each is bound to.
struct LineRoutes: Sendable {
    let monitor: LineMonitor
    let store: any StationStore

    func add(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in Self.response(DashboardPage.html, type: "text/html; charset=utf-8") }
        router.get("/api/state") { _, _ in Self.json(await monitor.state()) }
        router.get("/api/events") { _, _ in
            let events = await monitor.listen()
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: ResponseBody { writer in
                for await event in events { try await writer.write(ByteBuffer(string: event)) }
                try await writer.finish(nil)
            })
        }
        router.get("/api/records") { request, _ in
            try await Self.json(.array(search(Self.parameters(request)).map(RecordExport.json)))
        }
        router.get("/api/records.csv") { request, _ in
            let records = try await search(Self.parameters(request), defaultLimit: Int?.none)
            var response = Self.response(RecordExport.csv(records), type: "text/csv; charset=utf-8")
            response.headers[.contentDisposition] = "attachment; filename=\"records.csv\""
            return response
        }
        router.get("/api/units") { request, _ in
            let query = Self.parameters(request)["q"] ?? ""
            let units = query.isEmpty ? [] : try await Self.reading { () async throws(StoreError) in try await store.units(withValue: query) }
            return Self.json(.array(units.map { u in
                .object([("pool", .string(u.pool)), ("unit", .string(u.unit.id)), ("line", .int(u.unit.line)), ("mac", .optional(u.mac)),
                         ("bound_by", .optional(u.boundBy)), ("bound_at", u.boundAt.map { .string(RecordExport.isoTime($0)) } ?? .null),
                         ("fields", .object(u.unit.fields.map { ($0.name, .string($0.value)) }))])
            }))
        }
    }

    /// The query's parameters (the first of each name), percent-decoded.
    static func parameters(_ request: Request) -> [String: String] {
        var parameters: [String: String] = [:]
        for (key, value) in request.uri.queryParameters where parameters[String(key)] == nil { parameters[String(key)] = String(value) }
        return parameters
    }

    /// Records matching the request's filters, newest first.
    func search(_ parameters: [String: String], defaultLimit: Int? = 200) async throws -> [ModuleRecord] {
        func value(_ key: String) -> String? { parameters[key].flatMap { $0.isEmpty ? nil : $0 } }
        let limit = value("limit").flatMap(Int.init) ?? defaultLimit
        guard let outcome = value("result").map(ModuleRecord.Outcome.init) ?? .some(nil) else {
            throw HTTPError(.badRequest, message: "result is passed or failed")
        }
        let base = RecordQuery(stationID: value("station"), mac: value("mac").map { Self.normalizedMAC($0) ?? $0 }, unit: value("unit"),
                               result: outcome, newestFirst: true, limit: limit)
        return try await Self.reading { () async throws(StoreError) -> [ModuleRecord] in
            guard let q = value("q") else { return try await store.records(base) }
            // The text as a MAC, as a unit id, and as any value of a unit (a serial number in another column).
            var queries: [RecordQuery] = []
            if let mac = Self.normalizedMAC(q) { var m = base; m.mac = mac; queries.append(m) }
            var units = Set([q])
            for unit in try await store.units(withValue: q) { units.insert(unit.unit.id) }
            for unit in units.sorted() { var u = base; u.unit = unit; queries.append(u) }
            var found: [Int64: ModuleRecord] = [:]
            for query in queries { for record in try await store.records(query) { found[record.id ?? 0] = record } }
            let sorted = found.values.sorted { ($0.id ?? 0) > ($1.id ?? 0) }
            return limit.map { Array(sorted.prefix($0)) } ?? sorted
        }
    }

    /// `24:0A:C4:12:34:56`, `240ac4123456` or `24-0a-c4-12-34-56` as records write it (`24:0a:c4:12:34:56`).
    static func normalizedMAC(_ text: String) -> String? {
        let hex = text.lowercased().filter { $0 != ":" && $0 != "-" && $0 != "." }
        guard hex.count == 12, hex.allSatisfy(\.isHexDigit), text.count == 12 || text.count == 17 || text.count == 14 else { return nil }
        var parts: [String] = []
        var index = hex.startIndex
        for _ in 0..<6 {
            let next = hex.index(index, offsetBy: 2)
            parts.append(String(hex[index..<next]))
            index = next
        }
        return parts.joined(separator: ":")
    }

    /// A store failure is the server's answer 503 with the message.
    static func reading<T>(_ body: () async throws(StoreError) -> T) async throws -> T {
        do { return try await body() } catch {
            throw HTTPError(.serviceUnavailable, message: error.message)
        }
    }

    static func json(_ value: JSONValue) -> Response {
        response(value.rendered(pretty: false) + "\n", type: "application/json")
    }

    static func response(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
