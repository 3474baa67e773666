#if canImport(Glibc)
import Glibc
#endif

/// The few path and time operations the commands need, on plain strings and libc (no Foundation at start-up).
enum PathText {
    /// `a/b` from `a` and `b` (one `/` between them).
    static func join(_ folder: String, _ name: String) -> String {
        folder.isEmpty ? name : folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// The folder part of a path (`a/b` of `a/b/c.bin`); empty for a bare name.
    static func parent(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    /// The extension of the last component without its dot (`bin` of `a/b.c.bin`); empty when there is none.
    static func pathExtension(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...])
    }

    /// `~` and `~/…` expanded with `$HOME`.
    static func expandingTilde(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/"), let home = getenv("HOME").map({ String(cString: $0) }) else { return path }
        return home + path.dropFirst()
    }

    /// Local time as `MM-dd_HH-mm` (the key file names of esp-idf-nvs-partition-gen).
    static func localMonthDayHourMinute() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))_\(two(parts.tm_hour))-\(two(parts.tm_min))"
    }
}

extension FileIO {
    /// `mkdir -p`: creates `path` and its missing parents.
    static func createDirectory(_ path: String) throws {
        var built = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            built = PathText.join(built, String(part))
            if mkdir(built, 0o777) != 0 && errno != EEXIST {
                throw CommandFailure.io("cannot create folder \(path): \(String(cString: strerror(errno)))")
            }
        }
    }
}
