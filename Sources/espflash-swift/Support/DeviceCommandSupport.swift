import ArgumentParser
import ImageFormats
import SerialBootloader

/// `ADDR FILE [ADDR FILE ...]` as write-flash and verify-flash take them.
enum AddressFilePairs {
    static func parse(_ words: [String], allowEmpty: Bool = false) throws -> [(address: Int, path: String)] {
        if words.isEmpty {
            if allowEmpty { return [] }
            throw ValidationError("give ADDR FILE pairs, like 0x1000 bootloader.bin 0x10000 app.bin (or --config FILE)")
        }
        if let option = words.first(where: { $0.hasPrefix("-") && $0.count > 1 && FlashNumber(argument: $0) == nil }) {
            throw ValidationError("unknown option '\(option)'")
        }
        var pairs: [(Int, String)] = []
        for i in stride(from: 0, to: words.count, by: 2) {
            guard let address = FlashNumber(argument: words[i])?.value, address >= 0 else {
                throw ValidationError("address \"\(words[i])\" must be a number (arguments are ADDR FILE pairs)")
            }
            guard i + 1 < words.count else {
                throw ValidationError("address \(words[i]) has no file after it: arguments are pairs of an address and the file to write there")
            }
            pairs.append((address, words[i + 1]))
        }
        return pairs
    }

    static func load(_ pairs: [(address: Int, path: String)]) throws -> [FlashImage] {
        try pairs.map { FlashImage(address: $0.address, data: try FileIO.read($0.path), name: $0.path) }
    }
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
        case .unverifiable: "written, NOT verifiable (secure download mode cannot read flash back)"
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
                 ("patched", .bool(patched)), ("error", .optional(error))]
                + (differenceCount.map { count in
                    [("difference_count", .int(count)),
                     ("differences", .array(differences.map { .object([("address", .int($0.address)), ("flash", .int(Int($0.flash))),
                                                                         ("file", .int(Int($0.file)))]) }))]
                } ?? []))
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
        case .noResponse, .wrongChip, .deviceError, .verificationFailed, .notVerifiable: ExitStatus.operationFailed
        }
    }
}
