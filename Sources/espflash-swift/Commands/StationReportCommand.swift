import ArgumentParser
import Station

struct StationReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Export the station's records (CSV or JSON) and print the yield per stage.",
        discussion: """
            Without --csv or --json: the totals per station, the yield per stage and the last failures. With --csv \
            (one row per record) or --json (a JSON array of records, each with mac, unit, result passed|failed, \
            stage, port, files, times per stage…) the export goes to stdout and the yield table to stderr.

            Examples:
              espflash-swift station report
              espflash-swift station report --db line/station.db --json > records.json
              espflash-swift station report --csv > records.csv
            """
    )

    @OptionGroup var database: StationDatabaseOption
    @Flag(help: "Print the records as CSV.") var csv = false
    @Flag(help: "Print the records as one JSON array.") var json = false

    func validate() throws {
        if csv && json { throw ValidationError("give --csv or --json, not both") }
    }

    func run() throws {
        try reportingFailures {
            let store = try database.open(defaultFolder: ".", mustExist: true)
            let outcome = waitFor { () -> Result<[ModuleRecord], StoreError> in
                do throws(StoreError) { return .success(try await store.records(RecordQuery())) } catch { return .failure(error) }
            }
            let records: [ModuleRecord]
            switch outcome {
            case .success(let r): records = r
            case .failure(let error): throw CommandFailure.io(error.message)
            }
            let yield = StationRecordRendering.yieldLines(records).joined(separator: "\n") + "\n"
            if json {
                Console.out(JSONValue.array(records.map(StationRecordRendering.json)).rendered() + "\n")
                Console.write(2, yield)
            } else if csv {
                Console.out(StationRecordRendering.csv(records))
                Console.write(2, yield)
            } else {
                summary(records, yield: yield, path: store.path)
            }
        }
    }

    private func summary(_ records: [ModuleRecord], yield: String, path: String) {
        let stations = Set(records.map(\.stationID)).sorted()
        Console.out("\(records.count) records in \(path)" + (stations.isEmpty ? "" : " from " + stations.joined(separator: ", ")) + "\n")
        let macs = Set(records.compactMap(\.mac))
        let passedMACs = Set(records.filter { $0.result == .passed }.compactMap(\.mac))
        Console.out("\(macs.count) modules, \(passedMACs.count) passed at least once\n\n")
        Console.out(yield)
        let failures = records.filter { $0.result == .failed }.suffix(10)
        if !failures.isEmpty {
            Console.out("\nlast failures:\n")
            for r in failures {
                Console.out("  #\(r.id ?? 0) \(StationRecordRendering.isoTime(r.finishedAt)) \(r.port) \(r.mac ?? "-") unit \(r.unit ?? "-") at \(r.stage.rawValue): \(r.error ?? "")\n")
            }
        }
    }
}
