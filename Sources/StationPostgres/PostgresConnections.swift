import Logging
import NIOSSL
import PostgresNIO
import Station
import Synchronization

/// A few connections to one server, made when needed. Unlike PostgresNIO's pool (which keeps retrying in the
/// background with up to a minute between tries), a lease while the server is away fails at once: the station
/// decides when to try again (its own backoff), and a server that is back is used at the next try. Idle
/// connections are closed when the last reference goes.
final class PostgresConnections: Sendable {
    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var nextID = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let configuration: PostgresConnection.Configuration
    let maximum: Int
    /// The most a new connection may take, startup and authentication included.
    let connectDeadline: Double
    private let state = Mutex(State())

    init(_ location: PostgresLocation, maximum: Int, connectTimeout: Int64 = 3) throws(StoreError) {
        let tls: PostgresConnection.Configuration.TLS
        do {
            switch location.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        } catch {
            throw StoreError(.unavailable, "\(location.location): cannot set up TLS: \(error)")
        }
        var configuration = PostgresConnection.Configuration(host: location.host, port: location.port, username: location.user,
                                                             password: location.password, database: location.database, tls: tls)
        configuration.options.connectTimeout = .seconds(connectTimeout)
        // A statement or lock wait that hangs (a server in trouble) fails instead of stalling a port for ever.
        configuration.options.additionalStartupParameters = [("application_name", "espflash-swift station"), ("statement_timeout", "15000"),
                                                             ("lock_timeout", "10000"), ("idle_in_transaction_session_timeout", "30000")]
        self.configuration = configuration
        self.maximum = maximum
        connectDeadline = Double(connectTimeout) + 7
    }

    deinit {
        for connection in state.withLock({ $0.idle }) { Self.close(connection) }
    }

    /// Closes without waiting; the connection lives until its channel is closed (PostgresNIO asserts that).
    static func close(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    private enum Next {
        case use(PostgresConnection)
        case connect(Int)
        case wait
    }

    /// A connection for one transaction; give it back with `release`.
    func lease() async throws -> PostgresConnection {
        while true {
            let next = state.withLock { s -> Next in
                while let connection = s.idle.popLast() {
                    if !connection.isClosed { return .use(connection) }
                    s.open -= 1
                }
                guard s.open < maximum else { return .wait }
                s.open += 1
                s.nextID += 1
                return .connect(s.nextID)
            }
            switch next {
            case .use(let connection):
                return connection
            case .connect(let id):
                do {
                    return try await Self.connect(configuration, id: id, deadline: connectDeadline)
                } catch {
                    state.withLock { $0.open -= 1 }
                    wakeOne()
                    throw error
                }
            case .wait:
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { s -> Bool in
                        // A connection may have come back meanwhile.
                        if !s.idle.isEmpty || s.open < maximum { return true }
                        s.waiters.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    /// PostgresConnection.connect within `deadline` seconds in all. Its own timeout covers the TCP connect only, not
    /// the startup and authentication exchange after it, which a server going down at that moment may leave
    /// unanswered; a port must not wait for ever there. A connection made after the deadline is closed.
    static func connect(_ configuration: PostgresConnection.Configuration, id: Int, deadline: Double) async throws -> PostgresConnection {
        let outcome = await raced(deadline, onTimeout: {}) { () async -> Result<PostgresConnection, any Error> in
            do { return .success(try await PostgresConnection.connect(configuration: configuration, id: id, logger: quietLogger)) } catch {
                return .failure(error)
            }
        } late: { result in
            if case .success(let connection) = result { close(connection) }
        }
        guard let outcome else { throw StoreError(.unavailable, "the server did not finish the connection within \(Int(deadline)) s") }
        return try outcome.get()
    }

    /// `work`'s result, or nil when `deadline` seconds pass first (then `onTimeout` runs, and `late` gets the result
    /// when it comes). The work is not cancelled: it is left to end by itself.
    static func raced<T: Sendable>(_ deadline: Double, onTimeout: @escaping @Sendable () -> Void,
                                   _ work: @escaping @Sendable () async -> T, late: @escaping @Sendable (T) -> Void = { _ in }) async -> T? {
        let once = Once()
        return await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let timer = Task {
                try? await Task.sleep(nanoseconds: UInt64(deadline * 1e9))
                if !Task.isCancelled, once.claim() {
                    onTimeout()
                    continuation.resume(returning: nil)
                }
            }
            Task {
                let result = await work()
                if once.claim() {
                    timer.cancel()
                    continuation.resume(returning: result)
                } else {
                    late(result)
                }
            }
        }
    }

    /// Takes a connection back; a broken one (or one whose state is unknown after an error) is closed.
    func release(_ connection: PostgresConnection, broken: Bool) {
        if broken || connection.isClosed {
            state.withLock { $0.open -= 1 }
            if !connection.isClosed { Self.close(connection) }
        } else {
            state.withLock { $0.idle.append(connection) }
        }
        wakeOne()
    }

    private func wakeOne() {
        state.withLock { $0.waiters.isEmpty ? nil : $0.waiters.removeFirst() }?.resume()
    }

    func closeAll() async {
        let idle = state.withLock { s in
            defer { s.open -= s.idle.count; s.idle = [] }
            return s.idle
        }
        for connection in idle { try? await connection.close() }
    }
}

/// True for the first caller only.
final class Once: Sendable {
    private let done = Mutex(false)

    func claim() -> Bool {
        done.withLock { done in
            defer { done = true }
            return !done
        }
    }
}

/// What a PostgreSQL error means for the store: the error to throw, whether the transaction may simply run again
/// (a serialization failure, a deadlock, a unique key taken by a concurrent transaction), and whether the connection
/// is to be dropped.
struct PostgresProblem: Error {
    var error: StoreError
    var retry: Bool
    var broken: Bool

    init(_ error: any Error, what: String, location: String) {
        var error = error
        if let transaction = error as? PostgresTransactionError {
            error = transaction.closureError ?? transaction.beginError ?? transaction.commitError ?? transaction.rollbackError ?? error
        }
        if let store = error as? StoreError {
            self.error = store
            retry = false
            broken = false
            return
        }
        guard let psql = error as? PSQLError else {
            self.error = StoreError(.unavailable, "\(location): \(what): \(Self.describe(error))")
            retry = false
            broken = true
            return
        }
        let state = psql.serverInfo?[.sqlState]
        let message = psql.serverInfo?[.message]
        self.error = StoreError(.unavailable, "\(location): \(what): " + (message.map { "\($0) (SQLSTATE \(state ?? "?"))" } ?? Self.describe(psql)))
        retry = ["40001", "40P01", "23505"].contains(state ?? "")
        // Server errors inside a transaction leave the connection usable; the rest (closed, shut down) do not.
        broken = psql.code != .server || state.map { $0.hasPrefix("08") || $0.hasPrefix("57P") } ?? true
    }

    static func describe(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            switch psql.code {
            case .serverClosedConnection: return "the server closed the connection"
            case .clientClosedConnection: return "the connection was closed"
            case .connectionError: return "cannot connect" + (psql.underlying.map { ": \($0)" } ?? "")
            default: return "\(psql.code)" + (psql.underlying.map { ": \($0)" } ?? "")
            }
        }
        return "\(error)"
    }
}
