/// Intel HEX, written record for record as the `intelhex` 2.3 package does for esptool 5.6.0 merge-bin
/// (`IntelHex.write_hex_file`, default 16 data bytes per record, `\n` line ends, upper-case digits).
public enum IntelHex {
    /// Encodes byte runs at absolute addresses. Adjacent runs join; a record never crosses a hole or a 64 KiB
    /// boundary. Extended linear address records (type 04) are written only when some address is above 0xFFFF:
    /// one before the first record and one whenever the upper 16 bits grow.
    public static func encode(_ runs: [(address: Int, bytes: [UInt8])]) -> [UInt8] {
        let spans = coalesced(runs)
        var out: [UInt8] = []
        out.reserveCapacity(spans.reduce(0) { $0 + $1.bytes.count } * 45 / 16 + 64)
        let maxAddress = spans.last.map { $0.address + $0.bytes.count - 1 } ?? 0
        let needOffsetRecords = maxAddress > 0xFFFF
        var high = -1
        for span in spans {
            var index = 0
            while index < span.bytes.count {
                let address = span.address + index
                if needOffsetRecords, address >> 16 > high {
                    high = address >> 16
                    record(&out, address: 0, type: 4, data: [UInt8(high >> 8 & 0xFF), UInt8(high & 0xFF)])
                }
                let low = address & 0xFFFF
                let count = min(16, 0x10000 - low, span.bytes.count - index)
                record(&out, address: low, type: 0, data: span.bytes[index..<(index + count)])
                index += count
            }
        }
        record(&out, address: 0, type: 1, data: [])
        return out
    }

    /// Joins runs that touch, after sorting; runs never overlap here (merge-bin checked that).
    static func coalesced(_ runs: [(address: Int, bytes: [UInt8])]) -> [(address: Int, bytes: [UInt8])] {
        var spans: [(address: Int, bytes: [UInt8])] = []
        for run in runs.filter({ !$0.bytes.isEmpty }).sorted(by: { $0.address < $1.address }) {
            if let last = spans.last, last.address + last.bytes.count == run.address {
                spans[spans.count - 1].bytes += run.bytes
            } else {
                spans.append(run)
            }
        }
        return spans
    }

    private static let digits = Array("0123456789ABCDEF".utf8)

    private static func record<C: Collection>(_ out: inout [UInt8], address: Int, type: UInt8, data: C) where C.Element == UInt8 {
        var sum = UInt8(truncatingIfNeeded: data.count) &+ UInt8(address >> 8 & 0xFF) &+ UInt8(address & 0xFF) &+ type
        out.append(UInt8(ascii: ":"))
        func byte(_ b: UInt8) {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        byte(UInt8(truncatingIfNeeded: data.count))
        byte(UInt8(address >> 8 & 0xFF))
        byte(UInt8(address & 0xFF))
        byte(type)
        for b in data {
            byte(b)
            sum &+= b
        }
        byte(0 &- sum)
        out.append(UInt8(ascii: "\n"))
    }
}
