import ImageFormats

/// Reading an input file through a codec, the way every command reports it: a read failure exits 74 (FileIO),
/// a FormatError becomes `CommandFailure.input` naming the file (`FILE:LINE: field 'X': message`, exit 2).
enum InputFile {
    /// Runs a codec step whose errors are about `file`.
    static func checking<T>(_ file: String, _ body: () throws(FormatError) -> T) throws -> T {
        do throws(FormatError) { return try body() } catch { throw CommandFailure.input(error, file: file) }
    }

    /// Reads `path` (at most `limit` bytes) and decodes its bytes.
    static func decode<T>(_ path: String, limit: Int = InputLimits.binary, with decode: ([UInt8]) throws(FormatError) -> T) throws -> T {
        let bytes = try FileIO.read(path, limit: limit)
        return try checking(path) { () throws(FormatError) -> T in try decode(bytes) }
    }

    /// Reads `path` as text the way Python's `open()` does (BOM-aware UTF-8) and parses it.
    static func parseText<T>(_ path: String, with parse: (String) throws(FormatError) -> T) throws -> T {
        try decode(path, limit: InputLimits.text) { bytes throws(FormatError) -> T in try parse(try TextDecoding.decode(bytes)) }
    }
}

extension Console {
    /// Prints one JSON document (the `--json` output of the inspect commands) and a newline.
    static func out(_ document: JSONValue) { out(document.rendered() + "\n") }
}
