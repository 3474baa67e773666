import ArgumentParser
import SerialBootloader

/// `ADDR FILE [ADDR FILE ...]` as write-flash and verify-flash take them.
enum AddressFilePairs {
    static func parse(_ words: [String]) throws -> [(address: Int, path: String)] {
        guard !words.isEmpty, words.count % 2 == 0 else {
            throw ValidationError("give ADDR FILE pairs, like 0x1000 bootloader.bin 0x10000 app.bin")
        }
        var pairs: [(Int, String)] = []
        for i in stride(from: 0, to: words.count, by: 2) {
            guard let address = FlashNumber(argument: words[i])?.value, address >= 0 else {
                throw ValidationError("'\(words[i])' is not a flash address (expected ADDR FILE pairs)")
            }
            pairs.append((address, words[i + 1]))
        }
        return pairs
    }

    static func load(_ pairs: [(address: Int, path: String)]) throws -> [FlashImage] {
        try pairs.map { FlashImage(address: $0.address, data: try FileIO.read($0.path), name: $0.path) }
    }
}

/// `-fs`: `keep`, `detect` or a size such as `4MB`.
struct FlashSizeArgument: ExpressibleByArgument {
    var choice: DeviceSession.SizeChoice

    init?(argument: String) {
        switch argument.lowercased() {
        case "keep": choice = .keep
        case "detect": choice = .detect
        default:
            guard let bytes = FlashSize.parse(argument) else { return nil }
            choice = .explicit(bytes)
        }
    }
}

extension FlashReport {
    /// The per-region lines of the final report.
    func regionLines() -> [String] {
        regions.map { r in
            let state: String = switch r.status {
            case .verified: "written and verified"
            case .skipped: "already in flash (MD5 matched), verified"
            case .written: "written, not verified"
            case .failed: "FAILED" + (r.error.map { ": \($0)" } ?? "")
            case .pending: "not written"
            }
            return "  \(hexAddress(r.address)) \(r.name) (\(r.size) bytes): \(state)"
        }
    }

    func regionsJSON() -> JSONValue {
        .array(regions.map { r in
            .object([("index", .int(r.index)), ("file", .string(r.name)), ("address", .int(r.address)), ("size", .int(r.size)),
                     ("md5", .string(r.md5)), ("status", .string(r.status.rawValue)), ("retries", .int(r.retries)),
                     ("bytes_sent", .int(r.bytesSent)), ("compressed_size", .int(r.compressedBytes))])
        })
    }
}
