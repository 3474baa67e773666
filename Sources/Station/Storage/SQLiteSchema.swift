import GRDB

/// The SQLite side of `StationSchema`: each migration registered with GRDB's `DatabaseMigrator` as `v1`, `v2`, …
/// (noted in `grdb_migrations`; `v1` is the schema the first station release wrote).
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in StationSchema.migrations {
            migrator.registerMigration(identifier(migration.version)) { db in
                try db.execute(sql: migration.sqlite)
            }
        }
        return migrator
    }

    static func identifier(_ version: Int) -> String { "v\(version)" }

    /// The highest migration applied (0 for an empty file).
    static func version(_ db: Database) throws -> Int {
        try migrator.appliedIdentifiers(db).compactMap { Int($0.dropFirst()) }.max() ?? 0
    }
}
