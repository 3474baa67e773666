import ArgumentParser
import ChipEmulator
import Dispatch
import SerialBootloader
import Station
#if canImport(Glibc)
import Glibc
#endif

/// `espflash-swift station …`: the production station.
struct StationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "station",
        abstract: "A production station: flash, parameterize, test and record modules on many ports at once.",
        discussion: """
            A recipe (TOML, see the README) names the chip, what every module gets, what each module gets of its \
            own (rows of a values CSV, each bound to exactly one module MAC), the tests after flashing and the \
            ports. Records go into a SQLite database (WAL mode), station.db next to the recipe unless --db says.

            Examples:
              espflash-swift station run line.toml
              espflash-swift station run line.toml --port "virtual://esp32?line=1&flash-dir=modules" --modules 10
              espflash-swift station report --db station.db --csv > records.csv
            """,
        subcommands: [StationRunCommand.self, StationReportCommand.self]
    )
}

/// Where the records are: `--db`, else `station.db` next to the recipe (or in the current folder).
struct StationDatabaseOption: ParsableArguments {
    @Option(help: "The database: a SQLite file (default: station.db next to the recipe, or here for report).")
    var db: String?

    func open(defaultFolder: String, mustExist: Bool) throws -> SQLiteStationStore {
        let path = db ?? (defaultFolder == "." ? "station.db" : defaultFolder + "/station.db")
        if path.hasPrefix("postgres://") || path.hasPrefix("postgresql://") {
            throw CommandFailure.usage("PostgreSQL storage is not available in this build; give a SQLite file with --db")
        }
        if mustExist, access(path, F_OK) != 0 { throw CommandFailure.io("no station database at \(path)", help: "give it with --db FILE") }
        do { return try SQLiteStationStore(path: path) } catch { throw CommandFailure.io(error.message) }
    }
}

/// Runs async station work from a synchronous command: the main thread waits, the work runs on Swift's pool.
func waitFor<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let semaphore = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    Task {
        box.value = await body()
        semaphore.signal()
    }
    semaphore.wait()
    return box.value!
}

final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
