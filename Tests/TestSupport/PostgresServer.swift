import Foundation
import Synchronization

/// A throwaway PostgreSQL server for tests, from Debian's postgresql package: `initdb` into a temporary folder,
/// `pg_ctl start` on a free loopback port with trust authentication, no Unix socket outside the folder. PostgreSQL
/// refuses to run as root, so as root (CI) the folder belongs to the `postgres` user and the programs run through
/// `runuser -u postgres`. With `ESPFLASH_REQUIRE_TOOLS=1` (scripts/test.sh) a server that cannot be set up is a
/// test failure (`start` throws); otherwise `shared()` answers nil and the tests that need it skip.
public final class PostgresServer: @unchecked Sendable {
    public let directory: String
    public let port: Int
    public let user = "postgres"
    let binaries: String
    let asPostgres: Bool

    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// The newest installed server's programs (`/usr/lib/postgresql/N/bin`).
    static func binariesFolder() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        return versions.reversed().map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }

    /// Makes and starts a new cluster (about a second).
    public init() throws {
        guard let binaries = Self.binariesFolder() else {
            throw Unavailable(description: "PostgreSQL is not installed (no /usr/lib/postgresql/N/bin/initdb); apt-get install postgresql")
        }
        self.binaries = binaries
        asPostgres = getuid() == 0
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("espflash-pg-" + UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if asPostgres {
            guard let account = getpwnam("postgres") else { throw Unavailable(description: "running as root but there is no postgres user") }
            chown(directory, account.pointee.pw_uid, account.pointee.pw_gid)
        }
        port = try Self.freePort()
        let initialized = try run("initdb", ["-D", directory + "/data", "-A", "trust", "-U", user, "--no-sync", "-E", "UTF8", "--locale=C"])
        guard initialized.status == 0 else {
            throw Unavailable(description: "initdb failed: " + String(decoding: initialized.stdout, as: UTF8.self))
        }
        try start()
        Self.started.withLock { $0.append(self) }
    }

    /// Starts the server (again, after `stop`), on the same port and data.
    public func start() throws {
        let options = "-c listen_addresses=127.0.0.1 -c port=\(port) -c unix_socket_directories=\(directory) -c fsync=off "
            + "-c max_connections=200 -c shared_buffers=16MB"
        let result = try run("pg_ctl", ["-D", directory + "/data", "-l", directory + "/server.log", "-o", options, "-w", "-t", "60", "start"])
        guard result.status == 0 else {
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            throw Unavailable(description: "pg_ctl start failed: " + String(decoding: result.stdout, as: UTF8.self) + log.suffix(2000))
        }
    }

    /// Stops the server: `fast` ends every session at once (what a database restart does to the stations).
    public func stop(mode: String = "fast") throws {
        let result = try run("pg_ctl", ["-D", directory + "/data", "-m", mode, "-w", "stop"])
        guard result.status == 0 else { throw Unavailable(description: "pg_ctl stop failed: " + String(decoding: result.stdout, as: UTF8.self)) }
    }

    /// Creates a database and returns its URL.
    public func createDatabase(_ name: String = "t" + UUID().uuidString.prefix(8).lowercased()) throws -> String {
        let result = try run("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", user, name])
        guard result.status == 0 else { throw Unavailable(description: "createdb failed: " + String(decoding: result.stdout, as: UTF8.self)) }
        return url(database: name)
    }

    public func url(database: String) -> String { "postgres://\(user)@127.0.0.1:\(port)/\(database)?sslmode=disable" }

    /// Runs one SQL statement with psql and returns its unaligned output.
    public func sql(_ statement: String, database: String) throws -> String {
        let result = try run("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", database, "-At", "-v", "ON_ERROR_STOP=1", "-c", statement])
        guard result.status == 0 else { throw Unavailable(description: "psql failed: " + String(decoding: result.stdout, as: UTF8.self)) }
        return String(decoding: result.stdout, as: UTF8.self)
    }

    private func run(_ program: String, _ arguments: [String]) throws -> ProcessOutput {
        let path = binaries + "/" + program
        if asPostgres { return try Self.spawn("/usr/sbin/runuser", ["-u", "postgres", "--", path] + arguments, cwd: directory) }
        return try Self.spawn(path, arguments, cwd: directory)
    }

    /// Runs a program to its end with posix_spawn and waitpid (stdout and stderr together in a file), killed after
    /// `timeout` seconds. Not Foundation's Process: the server that `pg_ctl start` leaves running is a grandchild,
    /// and Foundation's child reaping was seen to miss the exit of `runuser` around it, hanging the test.
    static func spawn(_ path: String, _ arguments: [String], cwd: String, timeout: Double = 120) throws -> ProcessOutput {
        let output = cwd + "/spawn-\(UUID().uuidString).out"
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o666)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The server outlives this call: it must not hold other tests' pipes open.
        closeInheritedDescriptors(&actions)
        // In `cwd` (the server's user may not be allowed into the current folder).
        let argv = (["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", cwd, path] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ)
        guard spawned == 0 else { throw Unavailable(description: "cannot run \(path): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(timeout)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                throw Unavailable(description: "\(path) \(arguments.joined(separator: " ")) took more than \(Int(timeout)) s")
            }
            usleep(10_000)
        }
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return ProcessOutput(status: exit, stdout: FileManager.default.contents(atPath: output) ?? Data(), stderr: Data())
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Unavailable(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw Unavailable(description: "cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    // MARK: - One server per test process

    private static let started = Mutex<[PostgresServer]>([])
    private static let sharedServer = Mutex<Result<PostgresServer, Unavailable>?>(nil)

    /// The test process's server, started on first use and stopped when the process exits. nil when PostgreSQL
    /// cannot be set up and tools are not required; throws then when they are.
    public static func shared() throws -> PostgresServer? {
        let result = sharedServer.withLock { slot -> Result<PostgresServer, Unavailable> in
            if let slot { return slot }
            let made: Result<PostgresServer, Unavailable>
            do { made = .success(try PostgresServer()) } catch let error as Unavailable { made = .failure(error) } catch {
                made = .failure(Unavailable(description: "\(error)"))
            }
            slot = made
            if case .success = made { atexit { PostgresServer.stopAll() } }
            return made
        }
        switch result {
        case .success(let server): return server
        case .failure(let error):
            if ToolEnvironment.required { throw error }
            return nil
        }
    }

    /// Whether a test that needs PostgreSQL runs (it may then still fail to start it, under ESPFLASH_REQUIRE_TOOLS).
    public static var available: Bool { ToolEnvironment.required || binariesFolder() != nil }

    /// Stops every server this process started and removes their folders.
    public static func stopAll() {
        for server in started.withLock({ $0 }) { server.remove() }
    }

    /// Stops the server at once and removes its folder.
    public func remove() {
        _ = try? run("pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }
}
