import ArgumentParser
import ImageFormats
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
    var choice: FlashSizeChoice

    init?(argument: String) {
        guard let choice = FlashSizeChoice(argument: argument) else { return nil }
        self.choice = choice
    }

    static var allValueStrings: [String] { ["keep", "detect"] + FlashSize.choices }
}

extension FlashMode: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}

extension FlashFrequency: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { FlashFrequency.choices.map(\.name) }
}

extension RegionOutcome {
    /// One line of the per-region report.
    var reportLine: String {
        let state: String = switch status {
        case .verified: "written and verified"
        case .skipped: "already in flash (MD5 matched), verified"
        case .written: "written, not verified"
        case .differs: "DIFFERS" + (error.map { ": \($0)" } ?? "")
        case .failed: "FAILED" + (error.map { ": \($0)" } ?? "")
        case .pending: "not written"
        }
        return "  \(hexAddress(address)) \(name) (\(size) bytes): \(state)"
    }

    var json: JSONValue {
        .object([("index", .int(index)), ("file", .string(name)), ("address", .int(address)), ("size", .int(size)),
                 ("md5", .string(md5)), ("status", .string(status.rawValue)), ("retries", .int(retries)),
                 ("bytes_sent", .int(bytesSent)), ("compressed_size", .int(compressedBytes)),
                 ("flash_address", .int(flashAddress)), ("flash_size", .int(flashSize)), ("flash_md5", .string(flashMD5)),
                 ("patched", .bool(patched)), ("error", .optional(error))])
    }
}

extension JobFailure {
    /// Exit codes of CLI.md: bad input 2, a port that cannot be opened 74, a cancelled run 128 + the signal
    /// (130 Ctrl-C, 143 SIGTERM; 1 without one), anything the device did 1.
    var exitCode: Int32 {
        switch reason {
        case .invalidInput, .incompatibleImage: ExitStatus.badInput
        case .portUnavailable: ExitStatus.ioError
        case .cancelled: Interruption.signal.map { 128 + $0 } ?? ExitStatus.operationFailed
        case .noResponse, .wrongChip, .deviceError, .verificationFailed: ExitStatus.operationFailed
        }
    }
}
