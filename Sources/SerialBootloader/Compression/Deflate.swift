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
