import GRDB

/// The SQLite schema, as versioned migrations (GRDB's `DatabaseMigrator` notes the applied ones in
/// `grdb_migrations`). A migration is never changed once released; a new schema is a new migration.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: version1)
        }
        return migrator
    }

    /// Units to hand out, each bound to at most one MAC; the history of bindings; records and their files; the
    /// modules in flight (what a killed station leaves behind). Times are Unix milliseconds.
    static let version1 = """
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
        """
}
