import ArgumentParser
import ImageFormats
import SerialBootloader

struct BoardInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "board-info",
        abstract: "Show the chip, revision, features, crystal, MAC, flash id and size, and security info.",
        discussion: EsptoolSpelling.discussion("board-info", """
            Examples:
              espflash-swift board-info -p /dev/ttyUSB0
              espflash-swift board-info -p virtual://esp32s3 --json
            """)
    )

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try reportingFailures {
            let run = DeviceCommandRun("board-info", connection)
            let (info, outcome) = try run.run(flashSize: .detect) { session throws(JobFailure) in session.info }
            var fields: [(String, JSONValue)] = [
                ("chip_name", .string(info.chip.displayName)), ("features", .array(info.chip.features.map(JSONValue.string))),
                ("crystal_mhz", info.crystalMHz.map(JSONValue.int) ?? .null),
                ("flash_manufacturer", .string(hex2(Int(info.flashManufacturer)))), ("flash_device", .string(hex4(Int(info.flashDevice)).dropFirst(2).description)),
                ("detected_flash_size", info.detectedFlashSize.map { .int($0.bytes) } ?? .null),
            ]
            if let security = info.securityInfo {
                fields.append(("security", .object([("flags", .int(Int(security.flags))), ("secure_boot", .bool(security.secureBootEnabled)),
                                                     ("flash_encryption", .bool(security.flashEncryptionEnabled)),
                                                     ("secure_download_mode", .bool(security.secureDownloadMode)),
                                                     ("flash_crypt_cnt", .int(Int(security.flashCryptCount))),
                                                     ("chip_id", security.chipID.map { .int(Int($0)) } ?? .null)])))
            } else {
                fields.append(("security", .null))
            }
            run.succeed(outcome, fields)
            let securityText = info.securityInfo.map {
                "flags 0x\(String($0.flags, radix: 16)), secure boot \($0.secureBootEnabled ? "on" : "off"), flash encryption "
                    + "\($0.flashEncryptionEnabled ? "on" : "off"), secure download mode \($0.secureDownloadMode ? "on" : "off")"
            } ?? "not available (this ROM has no GET_SECURITY_INFO)"
            run.reporter.say("""
                Chip:      \(info.chip.displayName)\(info.revision.map { " (revision \($0))" } ?? "")
                Features:  \(info.chip.features.joined(separator: ", "))
                Crystal:   \(info.crystalMHz.map { "\($0) MHz" } ?? "unknown")
                MAC:       \(info.macText)
                Flash:     manufacturer \(hex2(Int(info.flashManufacturer))), device \(hex4(Int(info.flashDevice)).dropFirst(2)), \(info.detectedFlashSize?.name ?? "size unknown")
                Security:  \(securityText)
                """)
        }
    }

    private func hex2(_ v: Int) -> String {
        let s = String(v, radix: 16)
        return s.count == 1 ? "0" + s : s
    }
}
