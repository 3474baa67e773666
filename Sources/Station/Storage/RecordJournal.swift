import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Records the database could not take, kept in a local file until it can: one JSON line per record (with its
/// release decision and the database it was meant for), appended and flushed to disk (`fsync`) before the station
/// goes on. `replay` writes them with `StationStore.finish`, which is idempotent per attempt, so a record whose
/// commit happened but was not confirmed is not written twice; a line torn by a kill is ignored (its module is
/// still in flight in the database and is recorded as abandoned).
public actor RecordJournal {
    public nonisolated let path: String
    /// The database the records are for (`StationStore.location`); lines for another one are kept, not written.
    public nonisolated let location: String

    struct Entry: Codable {
        var database: String
        var releaseUnit: Bool
        var record: ModuleRecord
    }

    /// A replay is under way (it suspends at each write: other ports may keep records meanwhile).
    private var replaying = false
    private var keptDuringReplay: [Entry] = []

    public init(path: String, location: String) {
        self.path = path
        self.location = location
    }

    /// The journal of `stationID` in `folder`: `station-journal-ID.ndjson` (the id's unsafe characters as `_`).
    public static func path(folder: String, stationID: String) -> String {
        let safe = String(stationID.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" })
        return (folder == "." ? "" : folder + "/") + "station-journal-\(safe).ndjson"
    }

    /// Appends `record`; returns once it is on disk. Throws when the file cannot be written (then nothing is kept).
    public func keep(_ record: ModuleRecord, releaseUnit: Bool) throws(StoreError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let entry = Entry(database: location, releaseUnit: releaseUnit, record: record)
        guard let data = try? encoder.encode(entry) else {
            throw StoreError(.unavailable, "cannot encode a record for the journal \(path)")
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError(.unavailable, "cannot open the journal \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let line = Array(data) + [0x0A]
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else {
            throw StoreError(.unavailable, "cannot write the journal \(path): \(String(cString: strerror(errno)))")
        }
        if replaying { keptDuringReplay.append(entry) }
    }

    /// The records kept for this database, oldest first.
    public func pending() -> [ModuleRecord] { entries().filter { $0.database == location }.map(\.record) }

    private func entries() -> [Entry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = JSONDecoder()
        return data.split(separator: 0x0A).compactMap { try? decoder.decode(Entry.self, from: Data($0)) }
    }

    /// Writes the kept records into `store`, oldest first, and drops them from the file; stops at the first that
    /// cannot be written (the rest stay). Returns the records written (with their ids); nothing while another
    /// replay runs.
    public func replay(into store: any StationStore) async throws(StoreError) -> [ModuleRecord] {
        guard !replaying else { return [] }
        let all = entries()
        guard !all.isEmpty else { return [] }
        replaying = true
        keptDuringReplay = []
        defer { replaying = false }
        var written: [ModuleRecord] = []
        var remaining: [Entry] = []
        var failure: StoreError?
        for entry in all {
            guard failure == nil, entry.database == location else {
                remaining.append(entry)
                continue
            }
            do throws(StoreError) {
                written.append(try await store.finish(entry.record, releaseUnit: entry.releaseUnit))
            } catch {
                failure = error
                remaining.append(entry)
            }
        }
        try rewrite(remaining + keptDuringReplay)
        keptDuringReplay = []
        if let failure { throw failure }
        return written
    }

    /// Replaces the file with `entries` (removes it when none are left), atomically.
    private func rewrite(_ entries: [Entry]) throws(StoreError) {
        if entries.isEmpty {
            unlink(path)
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = Data()
        for entry in entries {
            guard let line = try? encoder.encode(entry) else { continue }
            data.append(line)
            data.append(0x0A)
        }
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError(.unavailable, "cannot rewrite the journal \(path): \(String(cString: strerror(errno)))") }
        let ok = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == data.count && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw StoreError(.unavailable, "cannot rewrite the journal \(path): \(String(cString: strerror(errno)))")
        }
    }
}
