import ImageFormats
import Station
#if canImport(Glibc)
import Glibc
#endif

/// The yield table of `station report` (records themselves are exported by Station's `RecordExport`).
enum StationRecordRendering {
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
}
