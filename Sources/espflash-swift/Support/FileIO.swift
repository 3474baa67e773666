import ImageFormats
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File reads and atomic writes for the commands. Errors are `CommandFailure`s with exit code 74.
enum FileIO {
    /// Reads a whole file of at most `limit` bytes (InputLimits: 256 MB for binaries, 64 MB for text). A larger
    /// file, or an endless one (`/dev/zero`, a pipe), is a bad input (exit 2) once `limit` bytes are exceeded.
    static func read(_ path: String, limit: Int = InputLimits.binary) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CommandFailure.io("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            throw CommandFailure.io("cannot read \(path): it is a directory")
        }
        let tooLarge = CommandFailure.input(InputLimits.tooLarge("the file", limit: limit), file: path)
        if Int(st.st_size) > limit { throw tooLarge }
        // A file of known size is read into one array of its size (one byte more, to see the end). A pipe or a
        // device is read in chunks, so an endless one stops at `limit` without ever holding twice that.
        var chunks: [[UInt8]] = []
        var total = 0
        var chunkSize = st.st_size > 0 ? Int(st.st_size) + 1 : 1 << 16
        while true {
            let chunk = try readChunk(fd, upTo: min(chunkSize, limit + 1 - total), path: path)
            if chunk.isEmpty { break }
            total += chunk.count
            chunks.append(chunk)
            if total > limit { throw tooLarge }
            chunkSize = min(max(chunkSize * 2, 1 << 20), 16 << 20)
        }
        return chunks.count == 1 ? chunks[0] : Array(chunks.joined())
    }

    /// Reads until `count` bytes or the end of the file; fewer bytes only at the end.
    private static func readChunk(_ fd: Int32, upTo count: Int, path: String) throws -> [UInt8] {
        var failure: Int32 = 0
        let chunk = [UInt8](unsafeUninitializedCapacity: count) { buffer, filled in
            filled = 0
            while filled < count {
                let n = Glibc.read(fd, buffer.baseAddress! + filled, count - filled)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if n == 0 { return }
                filled += n
            }
        }
        if failure != 0 { throw CommandFailure.io("cannot read \(path): \(String(cString: strerror(failure)))") }
        return chunk
    }

    /// Writes `bytes` to `path` through a temporary file in the same folder and a rename (see below).
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        try writeAtomically(to: path) { fd in try writeAll(fd, bytes[...]) }
    }

    /// `writeAtomically` for output given as pieces: `length` bytes of `fill` with `segments` (at increasing,
    /// non-overlapping offsets) laid over them. Gaps are written from one small buffer, so a padded flash image
    /// is never assembled in memory.
    static func writeAtomically(length: Int, fill: UInt8, segments: [(offset: Int, bytes: [UInt8])], to path: String) throws {
        try writeAtomically(to: path) { fd in
            let filler = [UInt8](repeating: fill, count: min(length, 1 << 18))
            var position = 0
            func pad(to end: Int) throws {
                while position < end {
                    let n = min(end - position, filler.count)
                    try writeAll(fd, filler[0..<n])
                    position += n
                }
            }
            for segment in segments {
                try pad(to: segment.offset)
                try writeAll(fd, segment.bytes[...])
                position += segment.bytes.count
            }
            try pad(to: length)
        }
    }

    /// Writes every byte, retrying short writes; throws the errno text.
    private static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) throws {
        try bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw WriteError(code: errno)
                }
                written += n
            }
        }
    }

    private struct WriteError: Error { var code: Int32 }

    /// Fails (I/O error) unless `path` can become a file: its folder exists and it does not name a folder. Commands
    /// that produce output only after long work (read-flash) check this first.
    @discardableResult
    static func checkOutputPath(_ path: String) throws -> (directory: String, fileName: String) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let fileName = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var st = stat()
        guard stat(directory, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw CommandFailure.io("cannot write \(path): folder \(directory) does not exist")
        }
        guard !fileName.isEmpty, stat(path, &st) != 0 || (st.st_mode & S_IFMT) != S_IFDIR else {
            throw CommandFailure.io("cannot write \(path): it names a folder")
        }
        return (directory, fileName)
    }

    /// Writes `content` through a temporary file in the same folder and a rename, so a reader never sees
    /// a partial file and an existing file is replaced only by a complete one. There is deliberately no fsync
    /// before the rename: rename(2) is atomic for other processes whether or not the data has reached the disk,
    /// which is all the "no partial output" rule (CLI.md) needs. An fsync would add durability across a power
    /// cut (without it a crash soon after the rename can leave an empty file on some filesystems), at the price of
    /// waiting for the disk on every output.
    private static func writeAtomically(to path: String, content: (Int32) throws -> Void) throws {
        let file = try prepare(path, content: content)
        try commit([file])
    }

    /// Several outputs that exist together or not at all (an encrypted NVS image and its new key file): every
    /// temporary file is written before the first rename, and a failure removes them all.
    static func writeAtomically(_ files: [(bytes: [UInt8], path: String)]) throws {
        var prepared: [PreparedFile] = []
        do {
            for file in files { prepared.append(try prepare(file.path) { fd in try writeAll(fd, file.bytes[...]) }) }
        } catch {
            for file in prepared { file.discard() }
            throw error
        }
        try commit(prepared)
    }

    /// A complete temporary file waiting for its rename. Until then a SIGINT/SIGTERM/SIGHUP that ends the process
    /// removes it (TemporaryFiles).
    struct PreparedFile {
        var tempPath: String
        var path: String

        func discard() {
            unlink(tempPath)
            TemporaryFiles.release(tempPath)
        }
    }

    private static func prepare(_ path: String, content: (Int32) throws -> Void) throws -> PreparedFile {
        let (directory, fileName) = try checkOutputPath(path)
        guard let (fd, tempPath) = TemporaryFiles.create(template: directory + "/." + fileName + ".tmp-XXXXXX") else {
            throw CommandFailure.io("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        let file = PreparedFile(tempPath: tempPath, path: path)
        do {
            try content(fd)
        } catch let error as WriteError {
            close(fd)
            file.discard()
            throw CommandFailure.io("cannot write \(path): \(String(cString: strerror(error.code)))")
        } catch {
            close(fd)
            file.discard()
            throw error
        }
        // mkstemp makes the file 0600; give it the mode a plain create would have.
        let mask = umask(0)
        umask(mask)
        fchmod(fd, 0o666 & ~mask)
        guard close(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            file.discard()
            throw CommandFailure.io("cannot write \(path): \(reason)")
        }
        return file
    }

    private static func commit(_ files: [PreparedFile]) throws {
        for (i, file) in files.enumerated() {
            guard rename(file.tempPath, file.path) == 0 else {
                let reason = String(cString: strerror(errno))
                for rest in files[i...] { rest.discard() }
                throw CommandFailure.io("cannot write \(file.path): \(reason)")
            }
            TemporaryFiles.release(file.tempPath)
        }
    }
}
