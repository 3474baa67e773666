extension PartitionTable {
    /// A table read from a file of either form, checked as gen_esp32part checks it.
    public struct Loaded: Sendable {
        public var table: PartitionTable
        /// The input was a binary table (so the conversion goes to CSV).
        public var wasBinary: Bool
        /// MD5 state of a binary input; for a CSV input, whether the binary will carry an MD5 record.
        public var md5: MD5State
        public var warnings: [FormatWarning]
    }

    /// Reads a partition table from file contents: binary when they start with `AA 50`, CSV text otherwise
    /// (UTF-8, or UTF-16/32 with a byte-order mark). Runs the verification `options` ask for.
    public static func load(_ bytes: [UInt8], options: PartitionTableOptions) throws(FormatError) -> Loaded {
        var loaded: Loaded
        if isBinary(bytes) {
            let decoded = try decode(bytes, checkMD5: options.md5)
            loaded = Loaded(table: decoded.table, wasBinary: true, md5: decoded.md5, warnings: decoded.warnings)
        } else {
            let text = try TextDecoding.decode(bytes)
            let table = try parseCSV(text, options: options)
            loaded = Loaded(table: table, wasBinary: false, md5: options.md5 ? .valid : .absent, warnings: [])
        }
        loaded.warnings += try loaded.table.verify(options)
        return loaded
    }
}
