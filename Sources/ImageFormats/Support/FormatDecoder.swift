/// One way into every parser: bytes in, a value or a located `FormatError` out. Each format folder holds the
/// conformances of its formats (`PartitionTable/PartitionTableFormats.swift` …), and `FormatCatalog` lists them,
/// so the tests and the fuzz targets (Tools/fuzz) reach every parser the same way. The formats' own APIs
/// (`PartitionTable.parseCSV`, `NVSImage(_:keys:)` …) stay; these are thin entry points over them.
///
/// Decoders are values, not types, so that one format read with different options (an NVS image with or without
/// a key) is two entries of the catalog.
public protocol FormatDecoder: Sendable {
    associatedtype Value
    /// A stable name: `partition-csv`, `nvs-image-key` (also the fuzz target's name).
    var formatName: String { get }
    /// The most bytes the format reads (`InputLimits.text` or `.binary`, or less); larger inputs are refused.
    var maxInputSize: Int { get }
    /// Decodes a whole input. Inputs larger than `maxInputSize` are refused by `decodeChecked`, not here.
    func decode(_ bytes: [UInt8]) throws(FormatError) -> Value
    /// Decodes `bytes` and checks what must hold beyond "no crash" (a stable round trip, an exact re-encoding):
    /// nil when everything holds or the input is refused, else what failed. The fuzz targets call this.
    func checkProperties(_ bytes: [UInt8]) -> String?
}

/// A format that can also be written: `encode(decode(x))` is this tool's output for `x`.
public protocol FormatEncoder: FormatDecoder {
    func encode(_ value: Value) throws(FormatError) -> [UInt8]
}

extension FormatDecoder {
    public var maxInputSize: Int { InputLimits.binary }

    /// `decode` after the size check.
    public func decodeChecked(_ bytes: [UInt8]) throws(FormatError) -> Value {
        try InputLimits.check(bytes.count, limit: maxInputSize)
        return try decode(bytes)
    }

    /// Without an encoder the property is that decoding ends, with a value or an error.
    public func checkProperties(_ bytes: [UInt8]) -> String? {
        _ = try? decodeChecked(bytes)
        return nil
    }
}

extension FormatEncoder {
    /// The round trip: what this tool writes for an input reads back and is written again identically
    /// (`encode(decode(encode(decode(x)))) == encode(decode(x))`). The first encoding may refuse a value the
    /// decoder accepted (a CSV that fails the table checks); the second may not.
    public func checkProperties(_ bytes: [UInt8]) -> String? { roundTripProblem(bytes).problem }

    /// The round trip of `checkProperties`, also returning the first value and encoding for formats that check more.
    public func roundTripProblem(_ bytes: [UInt8]) -> (value: Value?, encoded: [UInt8]?, problem: String?) {
        guard let value = try? decodeChecked(bytes) else { return (nil, nil, nil) }
        let first: [UInt8]
        do throws(FormatError) { first = try encode(value) } catch { return (value, nil, nil) }
        let again: Value
        do throws(FormatError) { again = try decode(first) } catch {
            return (value, first, "\(formatName): this tool's own output does not decode: \(error)")
        }
        let second: [UInt8]
        do throws(FormatError) { second = try encode(again) } catch {
            return (value, first, "\(formatName): the decoded output does not encode again: \(error)")
        }
        guard second == first else {
            return (value, first, "\(formatName): encoding is not stable (\(first.count) bytes, then \(second.count)\(Self.firstDifference(first, second)))")
        }
        return (value, first, nil)
    }

    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
        let at = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        return ", first difference at byte 0x\(String(at, radix: 16))"
    }
}

/// A decoder for text formats: the bytes are decoded as the original tools open the file (BOM-aware UTF-8).
public protocol TextFormatDecoder: FormatDecoder {
    func parse(_ text: String) throws(FormatError) -> Value
}

extension TextFormatDecoder {
    public var maxInputSize: Int { InputLimits.text }
    public func decode(_ bytes: [UInt8]) throws(FormatError) -> Value { try parse(try TextDecoding.decode(bytes)) }
}
