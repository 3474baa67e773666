import ArgumentParser
import ImageFormats
import SerialBootloader

struct ReadMACCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read-mac",
        abstract: "Print the chip's base MAC address (from its eFuse).",
        discussion: EsptoolSpelling.discussion("read-mac", """
            Examples:
              espflash-swift read-mac -p /dev/ttyUSB0
              espflash-swift -p virtual://esp32c3 read-mac --json
            """)
    )

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try reportingFailures {
            let run = DeviceCommandRun("read-mac", connection)
            let (info, outcome) = try run.run { session throws(JobFailure) in session.info }
            run.succeed(outcome, [])
            run.reporter.say(EsptoolText.field("MAC", info.macText))
        }
    }
}

struct FlashIDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flash-id",
        abstract: "Print the SPI flash chip's manufacturer and device id (RDID) and the size they mean.",
        discussion: EsptoolSpelling.discussion("flash-id", """
            Examples:
              espflash-swift flash-id -p /dev/ttyUSB0
              espflash-swift -p socket://localhost:4000 flash-id
            """)
    )

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try reportingFailures {
            let run = DeviceCommandRun("flash-id", connection)
            let (info, outcome) = try run.run(flashSize: .detect) { session throws(JobFailure) in session.info }
            run.succeed(outcome, EsptoolText.flashFields(info))
            run.reporter.say(EsptoolText.flashIDText(info))
        }
    }
}

struct ChipIDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chip-id",
        abstract: "Print the chip id; ESP32-family chips have none (esptool prints the MAC instead, and so does this).",
        discussion: EsptoolSpelling.discussion("chip-id", """
            Only the ESP8266 has a chip id register; on every ESP32-family chip esptool warns and prints the MAC.

            Examples:
              espflash-swift chip-id -p /dev/ttyUSB0
            """)
    )

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try reportingFailures {
            let run = DeviceCommandRun("chip-id", connection)
            let (info, outcome) = try run.run { session throws(JobFailure) in session.info }
            run.reporter.note("\(info.chip.displayName) has no chip ID. Reading MAC address instead.", warning: true)
            run.succeed(outcome, [("chip_id", .null)])
            run.reporter.say(EsptoolText.field("MAC", info.macText))
        }
    }
}

struct GetSecurityInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get-security-info",
        abstract: "Print the chip's security information (GET_SECURITY_INFO: secure boot, flash encryption, ...).",
        discussion: EsptoolSpelling.discussion("get-security-info", """
            The ESP32's ROM has no GET_SECURITY_INFO: on an ESP32 this fails (exit 1), as with esptool.

            Examples:
              espflash-swift get-security-info -p /dev/ttyACM0
              espflash-swift -p virtual://esp32s3 get-security-info --json
            """)
    )

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try reportingFailures {
            let run = DeviceCommandRun("get-security-info", connection)
            let (security, outcome) = try run.run { session throws(JobFailure) in try session.readSecurityInfo() }
            run.succeed(outcome, [("security", EsptoolText.securityJSON(security))])
            run.reporter.say(EsptoolText.securityText(security))
        }
    }
}

/// Text and JSON shared by the chip-facts commands, in esptool's wording.
enum EsptoolText {
    /// `MAC:                24:0a:c4:5e:00:01` (esptool pads the label to 20 columns).
    static func field(_ label: String, _ value: String) -> String {
        let head = label + ":"
        return head + String(repeating: " ", count: max(1, 20 - head.count)) + value
    }

    static func flashIDText(_ info: DeviceInfo) -> String {
        """
        Flash Memory Information:
        =========================
        Manufacturer: \(hex2(Int(info.flashManufacturer)))
        Device: \(hex4(Int(info.flashDevice)).dropFirst(2))
        Detected flash size: \(info.detectedFlashSize?.name ?? "Unknown")
        """
    }

    static func flashFields(_ info: DeviceInfo) -> [(String, JSONValue)] {
        [("flash_manufacturer", .string(hex2(Int(info.flashManufacturer)))),
         ("flash_device", .string(String(hex4(Int(info.flashDevice)).dropFirst(2)))),
         ("detected_flash_size", info.detectedFlashSize.map { .int($0.bytes) } ?? .null)]
    }

    static func hex2(_ v: Int) -> String {
        let s = String(v, radix: 16)
        return s.count == 1 ? "0" + s : s
    }

    static func securityJSON(_ security: SecurityInfo) -> JSONValue {
        .object([("flags", .int(Int(security.flags))), ("secure_boot", .bool(security.secureBootEnabled)),
                 ("flash_encryption", .bool(security.flashEncryptionEnabled)),
                 ("secure_download_mode", .bool(security.secureDownloadMode)),
                 ("flash_crypt_cnt", .int(Int(security.flashCryptCount))),
                 ("key_purposes", .array(security.keyPurposes.map { .int(Int($0)) })),
                 ("chip_id", security.chipID.map { .int(Int($0)) } ?? .null),
                 ("api_version", security.ecoVersion.map { .int(Int($0)) } ?? .null)])
    }

    /// esptool `get_security_info`'s report.
    static func securityText(_ security: SecurityInfo) -> String {
        var lines = ["Security Information:", "=====================",
                     "Flags: \(hexAddress(Int(security.flags))) (0b\(String(security.flags, radix: 2)))",
                     "Key Purposes: [" + security.keyPurposes.map(String.init).joined(separator: ", ") + "]"]
        if let id = security.chipID, let api = security.ecoVersion {
            lines += ["Chip ID: \(id)", "API Version: \(api)"]
        }
        lines.append("Secure Boot: " + (security.secureBootEnabled ? "Enabled" : "Disabled"))
        lines.append("Flash Encryption: " + (security.flashEncryptionEnabled ? "Enabled" : "Disabled"))
        lines.append("SPI Boot Crypt Count (SPI_BOOT_CRYPT_CNT): 0x\(String(security.flashCryptCount, radix: 16))")
        if security.secureDownloadMode { lines.append("Secure Download Mode: Enabled") }
        return lines.joined(separator: "\n")
    }
}
