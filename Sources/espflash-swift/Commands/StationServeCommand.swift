import ArgumentParser
import Station
import StationServer
#if canImport(Glibc)
import Glibc
#endif

struct StationServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the line's web dashboard from the station database (read-only).",
        discussion: """
            One page with every station's ports and their live state (pushed by server-sent events), yield per \\
            hour and per stage, the last failures, a search by MAC, unit or serial, and CSV export; JSON endpoints \\
            under /api (see the README). The server only reads the database. It binds to the loopback address \\
            unless --listen names another; port 0 picks a free port. The first line on stdout is the address. \\
            Ctrl-C or SIGTERM stops it (exit 0).

            Examples:
              espflash-swift station serve --listen 127.0.0.1:8080
              espflash-swift station serve --db postgres://line@db.local/factory --listen 0.0.0.0:8080
              espflash-swift station serve --db line/station.db --listen :0
            """
    )

    @OptionGroup var database: StationDatabaseOption
    @Option(help: ArgumentHelp("Where to listen: HOST:PORT, [IPV6]:PORT, or :PORT / PORT on 127.0.0.1.", valueName: "host:port"))
    var listen: String
    @Option(help: "Hours of records that make the yields and the last failures.") var windowHours = 24

    func validate() throws {
        guard ListenAddress(listen) != nil else { throw ValidationError("--listen takes HOST:PORT (like 127.0.0.1:8080), not '\(listen)'") }
        guard (1...24 * 31).contains(windowHours) else { throw ValidationError("--window-hours is 1…744") }
    }

    func run() throws {
        try reportingFailures {
            let address = ListenAddress(listen)!
            let store = try database.open(defaultFolder: ".", mustExist: true)
            if !address.isLoopback {
                Console.write(2, "warning: the dashboard listens on \(address.host), reachable from other computers; it shows records and units read-only\n")
            }
            Interruption.install()
            var configured = LineServer(store: store, address: address)
            configured.windowHours = windowHours
            let server = configured
            // The server runs until it fails (to bind, say) or a signal comes; whichever is first stops the other.
            let failure = waitFor { () -> String? in
                await withTaskGroup(of: String?.self) { group in
                    group.addTask {
                        do {
                            try await server.run { host, port in
                                let shown = host.contains(":") ? "[\(host)]" : host
                                Console.out("dashboard: http://\(shown):\(port)/ (database \(store.location))\n")
                            }
                            return nil
                        } catch is CancellationError {
                            return nil
                        } catch {
                            return "\(error)"
                        }
                    }
                    group.addTask {
                        while !Interruption.cancellation.isCancelled, !Task.isCancelled { try? await Task.sleep(nanoseconds: 100_000_000) }
                        return nil
                    }
                    let first = await group.next() ?? nil
                    group.cancelAll()
                    return first
                }
            }
            if let failure { throw CommandFailure.io("cannot serve on \(listen): \(failure)") }
        }
    }
}
