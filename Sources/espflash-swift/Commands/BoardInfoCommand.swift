import ArgumentParser
import SerialBootloader

struct BoardInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "board-info",
        abstract: "Show the chip, revision, features, crystal, MAC, flash id and size, and security info.",
        discussion: """
            Examples:
              espflash-swift board-info -p /dev/ttyUSB0
              espflash-swift board-info -p virtual://esp32s3 --json
            """
    )

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try reportingFailures {
            let reporter = ProgressReporter(json: connection.json)
            let session = try DeviceSession.open(connection, reporter: reporter, size: .detect)
            let loader = session.loader
            let revision: (major: Int, minor: Int)?
            let crystal: Int?
            do throws(LoaderError) {
                revision = try loader.readRevision()
                crystal = try loader.readCrystalMHz()
            } catch { throw session.failure(error, "board-info") }
            let id = Int(session.flashID)
            let manufacturer = id & 0xFF, device = (id >> 8 & 0xFF) << 8 | id >> 16 & 0xFF
            var fields: [(String, JSONValue)] = [
                ("ok", .bool(true)), ("chip", .string(session.chip.rawValue)), ("chip_name", .string(session.chip.displayName)),
                ("revision", revision.map { .string("v\($0.major).\($0.minor)") } ?? .null),
                ("features", .array(session.chip.features.map(JSONValue.string))),
                ("crystal_mhz", crystal.map(JSONValue.int) ?? .null), ("mac", .string(session.macText)),
                ("flash_manufacturer", .string(String(format2: UInt8(manufacturer)))), ("flash_device", .string(hex4(device))),
                ("flash_size", session.detectedFlashSize.map(JSONValue.int) ?? .null),
            ]
            if let info = loader.securityInfo {
                fields.append(("security", .object([("flags", .int(Int(info.flags))), ("secure_boot", .bool(info.secureBootEnabled)),
                                                     ("flash_encryption", .bool(info.flashEncryptionEnabled)),
                                                     ("secure_download_mode", .bool(info.secureDownloadMode)),
                                                     ("flash_crypt_cnt", .int(Int(info.flashCryptCount))),
                                                     ("chip_id", info.chipID.map { .int(Int($0)) } ?? .null)])))
            } else {
                fields.append(("security", .null))
            }
            reporter.event("result", fields)
            reporter.say("""
                Chip:      \(session.chip.displayName)\(revision.map { " (revision v\($0.major).\($0.minor))" } ?? "")
                Features:  \(session.chip.features.joined(separator: ", "))
                Crystal:   \(crystal.map { "\($0) MHz" } ?? "unknown")
                MAC:       \(session.macText)
                Flash:     manufacturer \(String(format2: UInt8(manufacturer))), device \(hex4(device)), \(session.detectedFlashSize.map(FlashSize.name) ?? "size unknown")
                Security:  \(loader.securityInfo.map { "flags 0x\(String($0.flags, radix: 16)), secure boot \($0.secureBootEnabled ? "on" : "off"), flash encryption \($0.flashEncryptionEnabled ? "on" : "off"), secure download mode \($0.secureDownloadMode ? "on" : "off")" } ?? "not available (this ROM has no GET_SECURITY_INFO)")
                """)
            try session.finish()
        }
    }

    private func hex4(_ v: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}
