import ImageFormats
import Station
#if canImport(Glibc)
import Glibc
#endif

/// Records as `station report` and `station run --json` print them.
enum StationRecordRendering {
    static func json(_ r: ModuleRecord) -> JSONValue {
        .object([
            ("id", r.id.map { .int(Int($0)) } ?? .null), ("attempt_id", .string(r.attemptID)), ("station_id", .string(r.stationID)),
            ("operator", .string(r.operatorName)), ("recipe_hash", .string(r.recipeHash)), ("port", .string(r.port)),
            ("mac", .optional(r.mac)), ("chip", .optional(r.chip)), ("revision", .optional(r.revision)), ("pool", .optional(r.pool)),
            ("unit", .optional(r.unit)), ("result", .string(r.result.rawValue)), ("stage", .string(r.stage.rawValue)),
            ("reason", .optional(r.reason)), ("error", .optional(r.error)),
            ("started_at", .string(isoTime(r.startedAt))), ("finished_at", .string(isoTime(r.finishedAt))),
            ("milliseconds", .int(Int(r.finishedAt - r.startedAt))),
            ("stage_ms", .object(r.stageTimes.map { ($0.stage.rawValue, .int($0.milliseconds)) })),
            ("bytes_sent", .int(r.bytesSent)), ("retries", .int(r.retries)), ("unit_released", .bool(r.unitReleased)),
            ("files", .array(r.files.map { f in
                .object([("name", .string(f.name)), ("address", .int(f.address)), ("size", .int(f.size)), ("md5", .string(f.md5)),
                         ("status", .string(f.status))])
            })),
        ])
    }

    static let csvHeader = ["id", "attempt_id", "station_id", "operator", "port", "mac", "chip", "revision", "pool", "unit", "result", "stage",
                            "reason", "error", "started_at", "finished_at", "milliseconds", "bytes_sent", "retries", "unit_released",
                            "recipe_hash", "stage_ms", "files"]

    static func csvRow(_ r: ModuleRecord) -> [String] {
        [r.id.map(String.init) ?? "", r.attemptID, r.stationID, r.operatorName, r.port, r.mac ?? "", r.chip ?? "", r.revision ?? "", r.pool ?? "",
         r.unit ?? "", r.result.rawValue, r.stage.rawValue, r.reason ?? "", r.error ?? "", isoTime(r.startedAt), isoTime(r.finishedAt),
         String(r.finishedAt - r.startedAt), String(r.bytesSent), String(r.retries), r.unitReleased ? "1" : "0", r.recipeHash,
         r.stageTimes.map { "\($0.stage.rawValue)=\($0.milliseconds)" }.joined(separator: ";"),
         r.files.map { "\($0.name)@\(hexAddress($0.address)):\($0.md5):\($0.status)" }.joined(separator: ";")]
    }

    static func csv(_ records: [ModuleRecord]) -> String {
        ([csvHeader] + records.map(csvRow)).map { $0.map(PythonCSV.quoted).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// The yield table: per stage, how many entered, passed, failed.
    static func yieldLines(_ records: [ModuleRecord]) -> [String] {
        let yields = StageYield.compute(records)
        var lines = ["stage      entered  passed  failed  yield"]
        for y in yields {
            lines.append(y.stage.rawValue.padded(10) + " " + String(y.entered).leftPadded(to: 7) + " " + String(y.passed).leftPadded(to: 7) + " "
                         + String(y.failed).leftPadded(to: 7) + "  " + percent(y.fraction))
        }
        let passed = records.filter { $0.result == .passed }.count
        lines.append("overall    " + String(records.count).leftPadded(to: 7) + " " + String(passed).leftPadded(to: 7) + " "
                     + String(records.count - passed).leftPadded(to: 7) + "  " + percent(records.isEmpty ? 1 : Double(passed) / Double(records.count)))
        return lines
    }

    static func percent(_ fraction: Double) -> String {
        let tenths = Int((fraction * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }

    /// `2025-05-20T03:12:44.123Z`.
    static func isoTime(_ milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let ms = Int(milliseconds % 1000)
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))."
            + String(repeating: "0", count: 3 - String(ms).count) + "\(ms)Z"
    }
}
