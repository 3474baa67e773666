import ArgumentParser
import ImageFormats
import ChipEmulator
import SerialBootloader
import Station
#if canImport(Glibc)
import Glibc
#endif

struct StationRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the station: every port at once, module after module, each one recorded.",
        discussion: """
            Per module: connect, chip guard, read the MAC, bind a unit to it (the same MAC gets its unit back), \
            build its images in memory, write everything (skipping what is there, verifying every region), hard \
            reset, run the AT test, write the record. Each port runs on its own. A terminal shows one line per port \
            and the totals; --json prints NDJSON events (a "record" event per module, a "result" line at the end). \
            Ctrl-C stops every module in flight at its next command (a running test finishes) and records it; \
            a station that was killed records its modules in flight as abandoned when it starts again. When the \
            database cannot be reached, each port stops its module at the next step that needs it, keeps the \
            record in station-journal-STATION.ndjson next to the recipe, and retries with a growing delay; the \
            kept records are written when the database answers again.
            Exit status: 0 every module passed, 1 a module failed, 2 a bad recipe, 74 a file or the database \
            cannot be read or written, 130/143 stopped by Ctrl-C or SIGTERM.

            Examples:
              espflash-swift station run line.toml
              espflash-swift station run line.toml --db /srv/line/station.db --station line-3 --operator alice
              espflash-swift station run line.toml --port "virtual://esp32?line=1&flash-dir=modules" --modules 5 --json
            """
    )

    @Argument(help: "The recipe (TOML).") var recipe: String
    @OptionGroup var database: StationDatabaseOption
    @Option(name: .customLong("port"), help: "A port (repeatable); replaces the recipe's ports. 'auto' finds the ESP-looking ports, and any plugged in later.")
    var ports: [String] = []
    @Option(help: "Stop after this many module attempts in all.") var modules: Int?
    @Option(help: "The station id records carry (default: the recipe's station, else the host name).") var station: String?
    @Option(name: .customLong("operator"), help: "Who runs the station (default: $USER).") var operatorName: String?
    @Flag(help: "Print NDJSON events on stdout, ending with a {\"event\":\"result\",...} line.") var json = false

    func validate() throws {
        if let modules, modules < 1 { throw ValidationError("--modules must be at least 1") }
        for port in ports where port != "auto" {
            do { _ = try PortAddress(parsing: port) } catch { throw ValidationError(error.description) }
        }
    }

    func run() throws {
        try reportingFailures {
            let recipeText = try recipeText()
            let folder = DirectoryFiles.folder(of: recipe)
            let files = DirectoryFiles(directory: folder)
            let plan: StationPlan
            do throws(RecipeError) { plan = try StationPlan.load(recipeText: recipeText, file: recipe, files: files) } catch {
                throw Self.failure(error, recipe: recipe, files: files)
            }
            let discovery = try resolveDiscovery(plan)
            let stationPorts = discovery == nil ? try resolvePorts(plan) : []
            let store = try database.open(defaultFolder: folder, mustExist: false)
            let schemaVersion = waitFor { try? await store.schemaVersion() } ?? 0
            var configuration = StationConfiguration(plan: plan, ports: stationPorts, store: store,
                                                     opener: EmulatorPortOpener(faults: try ConnectionOptions.virtualFaults()),
                                                     stationID: station ?? plan.recipe.stationID ?? Self.hostName(),
                                                     operatorName: operatorName ?? getenv("USER").map { String(cString: $0) } ?? "unknown",
                                                     moduleLimit: modules)
            configuration.before = .defaultReset
            configuration.journal = RecordJournal(path: RecordJournal.path(folder: folder, stationID: configuration.stationID), location: store.location)
            configuration.discovery = discovery
            Interruption.install()
            let dashboard = StationDashboard(json: json, configuration: configuration, database: store.location, schemaVersion: schemaVersion)
            let runner = StationRunner(configuration)
            let outcome = waitFor { () -> Result<StationTotals, StoreError> in
                do throws(StoreError) {
                    return .success(try await runner.run(cancellation: Interruption.cancellation) { dashboard.handle($0) })
                } catch {
                    return .failure(error)
                }
            }
            switch outcome {
            case .failure(let error):
                dashboard.finish(totals: nil, error: error.message)
                throw CommandFailure(exitCode: error.kind == .poolExhausted ? ExitStatus.operationFailed : ExitStatus.ioError, message: error.message)
            case .success(let totals):
                dashboard.finish(totals: totals, error: nil)
                if let signal = Interruption.signal { throw ExitCode(128 + signal) }
                if totals.failed > 0 { throw ExitCode(ExitStatus.operationFailed) }
            }
        }
    }

    private func recipeText() throws -> String {
        // As the station-recipe fuzz target reads it: at most 64 MB of text, invalid UTF-8 named by line and byte.
        try InputFile.decode(recipe, limit: InputLimits.text) { bytes throws(FormatError) in try TextDecoding.decode(bytes) }
    }

    /// Port discovery: `--port auto`, or the recipe's `[discover]` when no `--port` is given. The AT test needs each
    /// module's AT UART, which no discovery can know.
    private func resolveDiscovery(_ plan: StationPlan) throws -> PortDiscovery? {
        if ports.contains("auto"), ports.count > 1 {
            throw CommandFailure.usage("--port auto finds the ports itself: give it alone")
        }
        let spec: DiscoverySpec
        if ports == ["auto"] {
            spec = plan.recipe.discovery ?? DiscoverySpec()
        } else if ports.isEmpty, let recipeSpec = plan.recipe.discovery {
            spec = recipeSpec
        } else {
            return nil
        }
        if plan.recipe.test.at {
            throw CommandFailure(exitCode: ExitStatus.badInput,
                                 message: "\(recipe)\(spec.line.map { ":\($0)" } ?? ""): ports found by discovery have no AT UART for the AT test",
                                 help: "list the ports with [[port]] tables and their at_path, or set test.at = false")
        }
        return PortDiscovery(enumerator: .system(), filter: spec.filter, interval: spec.interval)
    }

    /// `--port` replaces the recipe's ports; the AT test needs an AT UART for every port that is not virtual.
    private func resolvePorts(_ plan: StationPlan) throws -> [StationPort] {
        let specs = ports.isEmpty ? plan.recipe.ports : ports.map { PortSpec(path: $0) }
        guard !specs.isEmpty else {
            throw CommandFailure.usage("no ports: add [[port]] tables or [discover] to \(recipe), or give --port PORT (or --port auto)")
        }
        var result: [StationPort] = []
        let folder = DirectoryFiles.folder(of: recipe)
        for (i, spec) in specs.enumerated() {
            let port: StationPort
            // A recipe's paths are relative to the recipe, `--port`'s to where the command runs.
            let path = Self.flashDirectory(in: spec.path, relativeTo: ports.isEmpty ? folder : ".")
            do { port = try StationPort(path: path, atPath: spec.atPath) } catch {
                throw CommandFailure(exitCode: ExitStatus.badInput, message: "\(recipe)\(spec.line.map { ":\($0)" } ?? ""): key 'port[\(i)].path': \(error.description)")
            }
            if plan.recipe.test.at, port.atAddress == nil {
                throw CommandFailure(exitCode: ExitStatus.badInput,
                                     message: "\(recipe)\(spec.line.map { ":\($0)" } ?? ""): key 'port[\(i)].at_path': the AT test needs the module's AT UART for \(spec.path)",
                                     help: "add at_path = \"/dev/ttyUSB1\" to this [[port]], or set test.at = false")
            }
            result.append(port)
        }
        return result
    }

    /// A line port's `flash-dir` made relative to `folder`, and the folder created when it is missing.
    static func flashDirectory(in path: String, relativeTo folder: String) -> String {
        guard path.hasPrefix("virtual://"), let query = path.firstIndex(of: "?") else { return path }
        let options = path[path.index(after: query)...].split(separator: "&").map { option -> String in
            guard option.hasPrefix("flash-dir=") else { return String(option) }
            var dir = String(option.dropFirst("flash-dir=".count))
            if !dir.hasPrefix("/"), folder != "." { dir = folder + "/" + dir }
            mkdir(dir, 0o755)
            return "flash-dir=" + dir
        }
        return String(path[...query]) + options.joined(separator: "&")
    }

    /// A recipe error as the CLI reports it: files named as the user can find them (relative to where they run).
    static func failure(_ error: RecipeError, recipe: String, files: DirectoryFiles) -> CommandFailure {
        var shown = error
        if error.file != recipe, !error.file.hasPrefix("/"), files.directory != "." { shown.file = files.resolve(error.file) }
        return CommandFailure(exitCode: error.isIOError ? ExitStatus.ioError : ExitStatus.badInput, message: shown.description, help: error.help)
    }

    static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count) == 0 else { return "station" }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
