#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File reads and atomic writes for the commands. Errors are `CommandFailure`s with exit code 74.
enum FileIO {
    static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CommandFailure.io("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            throw CommandFailure.io("cannot read \(path): it is a directory")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CommandFailure.io("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes
    }

    /// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a reader never sees
    /// a partial file and an existing file is replaced only by a complete one. There is deliberately no fsync
    /// before the rename: rename(2) is atomic for other processes whether or not the data has reached the disk,
    /// which is all the "no partial output" rule (CLI.md) needs. An fsync would add durability across a power
    /// cut (without it a crash soon after the rename can leave an empty file on some filesystems), at the price of
    /// waiting for the disk on every output.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let fileName = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var st = stat()
        guard stat(directory, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw CommandFailure.io("cannot write \(path): folder \(directory) does not exist")
        }
        guard !fileName.isEmpty else { throw CommandFailure.io("cannot write \(path): it names a folder") }
        var template = Array((directory + "/." + fileName + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw CommandFailure.io("cannot write \(path): \(String(cString: strerror(errno)))") }
        let tempPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var committed = false
        defer {
            if !committed { unlink(tempPath) }
        }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(fd)
                throw CommandFailure.io("cannot write \(path): \(reason)")
            }
            written += n
        }
        // mkstemp makes the file 0600; give it the mode a plain create would have.
        let mask = umask(0)
        umask(mask)
        fchmod(fd, 0o666 & ~mask)
        guard close(fd) == 0 else {
            throw CommandFailure.io("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        guard rename(tempPath, path) == 0 else {
            throw CommandFailure.io("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        committed = true
    }
}
