import ArgumentParser
import ChipEmulator
import Dispatch
import SerialBootloader
import Station
import StationPostgres
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
            ports. Records go into a SQLite database (WAL mode), station.db next to the recipe unless --db says; \
            the stations of a line share one PostgreSQL database with --db postgres://USER@HOST/DB. \
            `station serve` is the line's web dashboard.

            Examples:
              espflash-swift station run line.toml
              espflash-swift station run line.toml --port "virtual://esp32?line=1&flash-dir=modules" --modules 10
              espflash-swift station run line.toml --db postgres://line@db.local/factory --station line-3
              espflash-swift station report --db station.db --csv > records.csv
              espflash-swift station serve --db postgres://line@db.local/factory --listen 127.0.0.1:8080
            """,
        subcommands: [StationRunCommand.self, StationReportCommand.self, StationServeCommand.self]
    )
}

/// Where the records are: `--db`, else `station.db` next to the recipe (or in the current folder). A
/// `postgres://` URL is the line's shared PostgreSQL database (the schema is created or migrated on opening).
struct StationDatabaseOption: ParsableArguments {
    @Option(help: ArgumentHelp("The database: a SQLite file (default: station.db next to the recipe, or here for report and serve), or postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=disable|prefer|require] (the password may come from PGPASSWORD).",
                               valueName: "file|url"))
    var db: String?

    func open(defaultFolder: String, mustExist: Bool) throws -> any StationStore {
        let path = db ?? (defaultFolder == "." ? "station.db" : defaultFolder + "/station.db")
        if PostgresLocation.isPostgresURL(path) {
            var environment: [String: String] = [:]
            if let password = getenv("PGPASSWORD") { environment["PGPASSWORD"] = String(cString: password) }
            let passwordEnvironment = environment
            let opened = waitFor { () -> Result<PostgresStationStore, StoreError> in
                do throws(StoreError) { return .success(try await PostgresStationStore(url: path, environment: passwordEnvironment)) } catch {
                    return .failure(error)
                }
            }
            switch opened {
            case .success(let store): return store
            case .failure(let error): throw CommandFailure.io(error.message, help: error.kind == .schema ? "use the espflash-swift that wrote it, or a newer one" : nil)
            }
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
