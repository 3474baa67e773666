import Foundation

/// The station's database schema: one numbered list of migrations, each written for SQLite and for PostgreSQL, so
/// that both databases go through the same versions. A database's `schema_version` is the number of the last
/// migration applied to it. The tool applies the missing ones when it opens a database (SQLite: GRDB's
/// `DatabaseMigrator`, which notes them in `grdb_migrations` as `v1`, `v2`, …; PostgreSQL: the `schema_migrations`
/// table, under an advisory lock so that stations starting together migrate once), and refuses a database that has a
/// migration it does not know (a newer tool wrote it). A released migration is never changed: a change is a new one.
///
/// Each migration is written once, in SQL both databases read, with a few words in braces for the types they spell
/// differently (`Dialect.render`); statements end with `;` at the end of a line.
public enum StationSchema {
    public struct Migration: Sendable {
        public let version: Int
        public let summary: String
        /// SQLite statements (one script).
        public let sqlite: String
        /// PostgreSQL statements, one per element (the extended query protocol runs one statement at a time).
        public let postgres: [String]

        /// `ddl` rendered for each database; `postgresFirst` are statements only PostgreSQL needs (a sequence).
        init(version: Int, summary: String, postgresFirst: [String] = [], ddl: String) {
            self.version = version
            self.summary = summary
            sqlite = Dialect.sqlite.render(ddl)
            postgres = postgresFirst + (Dialect.postgres.render(ddl) + "\n").components(separatedBy: ";\n")
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .filter { !$0.isEmpty }
        }
    }

    /// The type words of the shared DDL: `{id}` a row id the database assigns, `{int64}` a 64-bit integer (Unix
    /// milliseconds, row ids, byte counts, flash addresses), `{real}` a float, `{flag}` a boolean that starts false.
    enum Dialect {
        case sqlite, postgres

        func render(_ ddl: String) -> String {
            let words: [(String, String)] = switch self {
            case .sqlite: [("{id}", "INTEGER PRIMARY KEY AUTOINCREMENT"), ("{int64}", "INTEGER"), ("{real}", "REAL"),
                           ("{flag}", "INTEGER NOT NULL DEFAULT 0")]
            case .postgres: [("{id}", "BIGSERIAL PRIMARY KEY"), ("{int64}", "BIGINT"), ("{real}", "DOUBLE PRECISION"),
                             ("{flag}", "BOOLEAN NOT NULL DEFAULT FALSE")]
            }
            return words.reduce(ddl) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
        }
    }

    public static let migrations: [Migration] = [version1, version2]

    /// The schema version this tool writes.
    public static var latestVersion: Int { migrations.last!.version }

    /// Units to hand out, each bound to at most one MAC; the history of bindings; records and their files; the
    /// modules in flight (what a killed station leaves behind). Times are Unix milliseconds.
    static let version1 = Migration(version: 1, summary: "units, unit events, records and their files, modules in flight", ddl: """
        CREATE TABLE units (
            pool TEXT NOT NULL,
            unit_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            line INTEGER NOT NULL,
            fields TEXT NOT NULL,
            mac TEXT,
            bound_at {int64},
            bound_station TEXT,
            bound_attempt TEXT,
            PRIMARY KEY (pool, unit_id)
        );
        CREATE UNIQUE INDEX units_by_mac ON units(pool, mac) WHERE mac IS NOT NULL;
        CREATE INDEX units_free ON units(pool, position) WHERE mac IS NULL;
        CREATE TABLE unit_events (
            id {id},
            pool TEXT NOT NULL,
            unit_id TEXT NOT NULL,
            mac TEXT NOT NULL,
            event TEXT NOT NULL CHECK (event IN ('bound', 'released')),
            station_id TEXT NOT NULL,
            attempt_id TEXT NOT NULL,
            at {int64} NOT NULL
        );
        CREATE TABLE records (
            id {id},
            attempt_id TEXT NOT NULL UNIQUE,
            station_id TEXT NOT NULL,
            operator TEXT NOT NULL,
            recipe_hash TEXT NOT NULL,
            port TEXT NOT NULL,
            mac TEXT,
            chip TEXT,
            revision TEXT,
            pool TEXT,
            unit_id TEXT,
            result TEXT NOT NULL CHECK (result IN ('passed', 'failed')),
            stage TEXT NOT NULL,
            reason TEXT,
            error TEXT,
            started_at {int64} NOT NULL,
            finished_at {int64} NOT NULL,
            stage_times TEXT NOT NULL,
            bytes_sent {int64} NOT NULL,
            retries INTEGER NOT NULL,
            unit_released {flag}
        );
        CREATE INDEX records_by_mac ON records(mac);
        CREATE INDEX records_by_unit ON records(pool, unit_id);
        CREATE TABLE record_files (
            record_id {int64} NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            address {int64} NOT NULL,
            size {int64} NOT NULL,
            md5 TEXT NOT NULL,
            status TEXT NOT NULL,
            PRIMARY KEY (record_id, position)
        );
        CREATE TABLE in_flight (
            attempt_id TEXT PRIMARY KEY,
            station_id TEXT NOT NULL,
            operator TEXT NOT NULL,
            recipe_hash TEXT NOT NULL,
            port TEXT NOT NULL,
            started_at {int64} NOT NULL,
            stage TEXT NOT NULL,
            mac TEXT,
            chip TEXT,
            revision TEXT,
            pool TEXT,
            unit_id TEXT,
            stage_times TEXT NOT NULL
        );
        CREATE INDEX in_flight_by_station ON in_flight(station_id);
        """)

    /// What each port of each station is doing (the dashboard's live view; `seq` grows with every change, so a
    /// reader polls one number), records by finish time (yield per hour), units by the attempt that bound them (a
    /// record whose allocation answer was lost finds its unit).
    static let version2 = Migration(version: 2, summary: "port states, records by finish time, units by attempt",
                                    postgresFirst: ["CREATE SEQUENCE port_state_seq"], ddl: """
        CREATE TABLE port_state (
            station_id TEXT NOT NULL,
            port TEXT NOT NULL,
            state TEXT NOT NULL,
            stage TEXT,
            progress {real},
            mac TEXT,
            unit_id TEXT,
            attempt_id TEXT,
            message TEXT,
            last_result TEXT,
            last_error TEXT,
            passed INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            updated_at {int64} NOT NULL,
            seq {int64} NOT NULL,
            PRIMARY KEY (station_id, port)
        );
        CREATE INDEX port_state_by_seq ON port_state(seq);
        CREATE INDEX records_by_finish ON records(finished_at);
        CREATE INDEX units_by_attempt ON units(bound_attempt);
        """)
}
