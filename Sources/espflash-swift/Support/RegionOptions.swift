import ArgumentParser
import ImageFormats

/// `--offset ADDR` / `--partition NAME` of the inspect commands: read that part of a whole flash image or
/// read-flash dump instead of the whole file (CLI.md, "Editing a finished image").
struct RegionOptions: ParsableArguments {
    @Option(name: .customLong("offset"),
            help: "Read the part of a whole flash image that starts at this address (a partition's extent when one starts there).")
    var offset: FlashNumber?

    @Option(name: .customLong("partition"), help: "Read this partition of a whole flash image, found through its partition tables.")
    var partition: String?

    func validate() throws {
        if offset != nil && partition != nil { throw ValidationError("give --offset or --partition, not both") }
    }

    var isWholeFile: Bool { offset == nil && partition == nil }
}

extension InputFile {
    /// Reads `path`, selects the region `region` asks for and decodes it. Errors about the content name the file and
    /// the byte offset in the file (not in the region). `name` is what messages call the input: the file, or
    /// `FILE (partition 'x' at 0x...)`.
    static func decode<T>(_ path: String, region: RegionOptions, limit: Int? = nil,
                          with decode: ([UInt8]) throws(FormatError) -> T) throws -> (value: T, name: String) {
        let bytes = try FileIO.read(path)
        guard !region.isWholeFile else { return (try checking(path) { () throws(FormatError) -> T in try decode(bytes) }, path) }
        let selected = try checking(path) { () throws(FormatError) -> FlashRegion in
            try FlashRegion.select(bytes, offset: region.offset?.value, partition: region.partition)
        }
        var part = selected.bytes
        if let limit, selected.partition == nil, part.count > limit { part = Array(part.prefix(limit)) }
        let name = "\(path) (\(selected.description))"
        do throws(FormatError) {
            return (try decode(part), name)
        } catch {
            var shifted = error
            if let at = error.location.byteOffset { shifted.location.byteOffset = at + selected.base }
            throw CommandFailure.input(shifted, file: name)
        }
    }
}
