/// The station's database schema: one numbered list of migrations, each written for SQLite and for PostgreSQL, so
/// that both databases go through the same versions. A database's `schema_version` is the number of the last
/// migration applied to it. The tool applies the missing ones when it opens a database (SQLite: GRDB's
/// `DatabaseMigrator`, which notes them in `grdb_migrations` as `v1`, `v2`, …; PostgreSQL: the `schema_migrations`
/// table, under an advisory lock so that stations starting together migrate once), and refuses a database that has a
/// migration it does not know (a newer tool wrote it). A released migration is never changed: a change is a new one.
public enum StationSchema {
    public struct Migration: Sendable {
        public let version: Int
        public let summary: String
        /// SQLite statements (one script).
        public let sqlite: String
        /// PostgreSQL statements, one per element (the extended query protocol runs one statement at a time).
        public let postgres: [String]
    }

    public static let migrations: [Migration] = [version1, version2]

    /// The schema version this tool writes.
    public static var latestVersion: Int { migrations.last!.version }

    /// Units to hand out, each bound to at most one MAC; the history of bindings; records and their files; the
    /// modules in flight (what a killed station leaves behind). Times are Unix milliseconds.
    static let version1 = Migration(version: 1, summary: "units, unit events, records and their files, modules in flight", sqlite: """
        CREATE TABLE units (
            pool TEXT NOT NULL,
            unit_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            line INTEGER NOT NULL,
            fields TEXT NOT NULL,
            mac TEXT,
            bound_at INTEGER,
            bound_station TEXT,
            bound_attempt TEXT,
            PRIMARY KEY (pool, unit_id)
        );
        CREATE UNIQUE INDEX units_by_mac ON units(pool, mac) WHERE mac IS NOT NULL;
        CREATE INDEX units_free ON units(pool, position) WHERE mac IS NULL;
        CREATE TABLE unit_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            pool TEXT NOT NULL,
            unit_id TEXT NOT NULL,
            mac TEXT NOT NULL,
            event TEXT NOT NULL CHECK (event IN ('bound', 'released')),
            station_id TEXT NOT NULL,
            attempt_id TEXT NOT NULL,
            at INTEGER NOT NULL
        );
        CREATE TABLE records (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
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
            started_at INTEGER NOT NULL,
            finished_at INTEGER NOT NULL,
            stage_times TEXT NOT NULL,
            bytes_sent INTEGER NOT NULL,
            retries INTEGER NOT NULL,
            unit_released INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX records_by_mac ON records(mac);
        CREATE INDEX records_by_unit ON records(pool, unit_id);
        CREATE TABLE record_files (
            record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            address INTEGER NOT NULL,
            size INTEGER NOT NULL,
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
            started_at INTEGER NOT NULL,
            stage TEXT NOT NULL,
            mac TEXT,
            chip TEXT,
            revision TEXT,
            pool TEXT,
            unit_id TEXT,
            stage_times TEXT NOT NULL
        );
        CREATE INDEX in_flight_by_station ON in_flight(station_id);
        """, postgres: [
        """
        CREATE TABLE units (
            pool TEXT NOT NULL,
            unit_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            line INTEGER NOT NULL,
            fields TEXT NOT NULL,
            mac TEXT,
            bound_at BIGINT,
            bound_station TEXT,
            bound_attempt TEXT,
            PRIMARY KEY (pool, unit_id)
        )
        """,
        "CREATE UNIQUE INDEX units_by_mac ON units(pool, mac) WHERE mac IS NOT NULL",
        "CREATE INDEX units_free ON units(pool, position) WHERE mac IS NULL",
        """
        CREATE TABLE unit_events (
            id BIGSERIAL PRIMARY KEY,
            pool TEXT NOT NULL,
            unit_id TEXT NOT NULL,
            mac TEXT NOT NULL,
            event TEXT NOT NULL CHECK (event IN ('bound', 'released')),
            station_id TEXT NOT NULL,
            attempt_id TEXT NOT NULL,
            at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE records (
            id BIGSERIAL PRIMARY KEY,
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
            started_at BIGINT NOT NULL,
            finished_at BIGINT NOT NULL,
            stage_times TEXT NOT NULL,
            bytes_sent BIGINT NOT NULL,
            retries INTEGER NOT NULL,
            unit_released BOOLEAN NOT NULL DEFAULT FALSE
        )
        """,
        "CREATE INDEX records_by_mac ON records(mac)",
        "CREATE INDEX records_by_unit ON records(pool, unit_id)",
        """
        CREATE TABLE record_files (
            record_id BIGINT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            address BIGINT NOT NULL,
            size BIGINT NOT NULL,
            md5 TEXT NOT NULL,
            status TEXT NOT NULL,
            PRIMARY KEY (record_id, position)
        )
        """,
        """
        CREATE TABLE in_flight (
            attempt_id TEXT PRIMARY KEY,
            station_id TEXT NOT NULL,
            operator TEXT NOT NULL,
            recipe_hash TEXT NOT NULL,
            port TEXT NOT NULL,
            started_at BIGINT NOT NULL,
            stage TEXT NOT NULL,
            mac TEXT,
            chip TEXT,
            revision TEXT,
            pool TEXT,
            unit_id TEXT,
            stage_times TEXT NOT NULL
        )
        """,
        "CREATE INDEX in_flight_by_station ON in_flight(station_id)",
    ])

    /// What each port of each station is doing (the dashboard's live view; `seq` grows with every change, so a
    /// reader polls one number), records by finish time (yield per hour), units by the attempt that bound them (a
    /// record whose allocation answer was lost finds its unit).
    static let version2 = Migration(version: 2, summary: "port states, records by finish time, units by attempt", sqlite: """
        CREATE TABLE port_state (
            station_id TEXT NOT NULL,
            port TEXT NOT NULL,
            state TEXT NOT NULL,
            stage TEXT,
            progress REAL,
            mac TEXT,
            unit_id TEXT,
            attempt_id TEXT,
            message TEXT,
            last_result TEXT,
            last_error TEXT,
            passed INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            updated_at INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (station_id, port)
        );
        CREATE INDEX port_state_by_seq ON port_state(seq);
        CREATE INDEX records_by_finish ON records(finished_at);
        CREATE INDEX units_by_attempt ON units(bound_attempt);
        """, postgres: [
        "CREATE SEQUENCE port_state_seq",
        """
        CREATE TABLE port_state (
            station_id TEXT NOT NULL,
            port TEXT NOT NULL,
            state TEXT NOT NULL,
            stage TEXT,
            progress DOUBLE PRECISION,
            mac TEXT,
            unit_id TEXT,
            attempt_id TEXT,
            message TEXT,
            last_result TEXT,
            last_error TEXT,
            passed INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            updated_at BIGINT NOT NULL,
            seq BIGINT NOT NULL,
            PRIMARY KEY (station_id, port)
        )
        """,
        "CREATE INDEX port_state_by_seq ON port_state(seq)",
        "CREATE INDEX records_by_finish ON records(finished_at)",
        "CREATE INDEX units_by_attempt ON units(bound_attempt)",
    ])
}
