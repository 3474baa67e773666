import CZlib

/// zlib streams, as FLASH_DEFL_DATA carries them (a zlib header, deflate data, Adler-32).
public enum Deflate {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let status: Int32
        public let operation: String
        public var description: String { "zlib \(operation) failed with status \(status)" }
    }

    /// Compresses `data` in one go at `level` (0–9; the ROM loader's inflater accepts every level).
    public static func compress(_ data: [UInt8], level: Int32 = 9) throws(Failure) -> [UInt8] {
        var bound = compressBound(uLong(data.count))
        var out = [UInt8](repeating: 0, count: Int(bound))
        let status = data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                compress2(dst.baseAddress, &bound, src.baseAddress, uLong(src.count), level)
            }
        }
        guard status == Z_OK else { throw Failure(status: status, operation: "compress") }
        out.removeSubrange(Int(bound)...)
        return out
    }

    /// Inflates a complete zlib stream whose inflated size is known to be at most `limit` bytes.
    public static func decompress(_ data: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        var status = inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw Failure(status: status, operation: "inflateInit") }
        defer { inflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: max(limit, 1))
        var input = data
        status = input.withUnsafeMutableBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                stream.next_in = src.baseAddress
                stream.avail_in = uInt(src.count)
                stream.next_out = dst.baseAddress
                stream.avail_out = uInt(dst.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw Failure(status: status, operation: "inflate") }
        return Array(out.prefix(Int(stream.total_out)))
    }
}

/// A zlib inflater fed in pieces, as FLASH_DEFL_DATA blocks arrive: each call returns the bytes that piece
/// produced. One instance per compressed stream.
public final class Inflater {
    private var stream = z_stream()
    private var open = false
    public private(set) var finished = false
    public private(set) var totalOut = 0

    public init() throws(Deflate.Failure) {
        let status = inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw Deflate.Failure(status: status, operation: "inflateInit") }
        open = true
    }

    deinit {
        if open { inflateEnd(&stream) }
    }

    /// Inflates `chunk`; throws on corrupt data. Data after the end of the stream is an error too.
    public func inflate(_ chunk: [UInt8]) throws(Deflate.Failure) -> [UInt8] {
        if finished && !chunk.isEmpty { throw Deflate.Failure(status: Z_STREAM_END, operation: "inflate past end of stream") }
        var output: [UInt8] = []
        var input = chunk
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var status: Int32 = Z_OK
        try input.withUnsafeMutableBufferPointer { (src) throws(Deflate.Failure) in
            stream.next_in = src.baseAddress
            stream.avail_in = uInt(src.count)
            repeat {
                let produced = buffer.withUnsafeMutableBufferPointer { dst -> Int in
                    stream.next_out = dst.baseAddress
                    stream.avail_out = uInt(dst.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return dst.count - Int(stream.avail_out)
                }
                if status != Z_OK && status != Z_STREAM_END && !(status == Z_BUF_ERROR && produced == 0) {
                    throw Deflate.Failure(status: status, operation: "inflate")
                }
                output += buffer[0..<produced]
                if status == Z_STREAM_END { finished = true; break }
                if produced == 0 { break }
            } while stream.avail_in > 0 || stream.avail_out == 0
        }
        totalOut += output.count
        return output
    }
}
