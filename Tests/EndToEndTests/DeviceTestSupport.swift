import Foundation
import TestSupport
import Testing

/// Seeded test data compressible like firmware.
enum TestBytes {
    static func firmware(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            let r = rng.next()
            if r % 4 == 0, out.count > 64 {
                let length = Int((r >> 8) % 24) + 4
                let from = Int((r >> 16) % UInt64(out.count - 32))
                for i in 0..<length where out.count < count { out.append(out[from + min(i, 31)]) }
            } else {
                out.append(UInt8(truncatingIfNeeded: (r >> 24) % 64 + (r % 3 == 0 ? 0x20 : 0)))
            }
        }
        return out
    }
}

/// The NDJSON lines of a device command, parsed.
func ndjsonEvents(_ result: CLIResult) throws -> [[String: Any]] {
    try result.stdoutText.split(separator: "\n").map { line in
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw CocoaError(.coderInvalidValue)
        }
        return object
    }
}

func writeFile(_ bytes: [UInt8], _ path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
