#if canImport(Glibc)
import Glibc
#endif

/// Reads the files a recipe names, relative to the recipe's folder. `DirectoryFiles` reads the file system;
/// tests may give the bytes directly.
public protocol RecipeFiles: Sendable {
    func read(_ path: String) throws(RecipeError) -> [UInt8]
}

/// Files in a folder (paths not starting with `/` are relative to it).
public struct DirectoryFiles: RecipeFiles {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// The folder of `file` (`.` when it has none).
    public static func folder(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }

    public func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : directory + "/" + path }

    public func read(_ path: String) throws(RecipeError) -> [UInt8] {
        let full = resolve(path)
        guard let f = fopen(full, "rb") else {
            throw RecipeError(file: path, "cannot read: " + String(cString: strerror(errno)), isIOError: true)
        }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n > 0 { bytes += chunk[0..<n] }
            if n < chunk.count { break }
        }
        guard ferror(f) == 0 else { throw RecipeError(file: path, "cannot read: " + String(cString: strerror(errno)), isIOError: true) }
        return bytes
    }
}

/// Files given in memory (tests, and callers that have them already).
public struct MemoryFiles: RecipeFiles {
    public var files: [String: [UInt8]]

    public init(_ files: [String: [UInt8]]) { self.files = files }

    public func read(_ path: String) throws(RecipeError) -> [UInt8] {
        guard let bytes = files[path] else { throw RecipeError(file: path, "cannot read: no such file", isIOError: true) }
        return bytes
    }
}
