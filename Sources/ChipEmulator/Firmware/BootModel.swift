import ImageFormats
import SerialBootloader

/// What a chip does when it leaves reset into normal (SPI flash) boot: the ROM loads the second-stage bootloader at
/// the chip's bootloader offset, the bootloader reads the partition table at 0x8000, picks the app (otadata, else
/// factory, else ota_0), checks the app image and starts it. Pure: flash bytes and a chip in, the UART0 log and
/// what runs out. `EmulatedModule` runs the AT firmware on top; a reset circuit (DTR/RTS → EN/IO0) can call
/// `boot` whenever the chip resets with IO0 high.
///
/// Checked as the ROM and ESP-IDF's bootloader check: image magic, chip id, segment bounds, the XOR checksum and
/// the appended SHA-256 when the header says one is there; the table's magic and MD5 record; otadata CRCs.
/// Not modelled: secure boot, flash encryption, rollback and anti-rollback, app segment placement.
public enum BootModel {
    public static let partitionTableOffset = 0x8000
    public static let partitionTableLength = 0xC00

    public struct Result: Sendable {
        /// What UART0 printed (ROM, bootloader, app start), lines ending in CR LF.
        public var log: String
        public var outcome: Outcome
    }

    public enum Outcome: Sendable {
        case app(BootedApp)
        /// The chip resets and tries again, forever; `reason` names what was wrong.
        case bootLoop(reason: String)
    }

    /// Why the chip reset, as the ROM prints it. A reset through the EN pin reads as power-on on these ROMs.
    public enum ResetReason: Sendable {
        case powerOn, software, watchdog, usbSerialJTAG

        func romReason(_ chip: Chip) -> String {
            switch (self, chip) {
            case (.powerOn, .esp32): "rst:0x1 (POWERON_RESET)"
            case (.software, .esp32): "rst:0xc (SW_CPU_RESET)"
            case (.watchdog, .esp32): "rst:0x10 (RTCWDT_RTC_RESET)"
            case (.usbSerialJTAG, .esp32): "rst:0x1 (POWERON_RESET)"
            case (.powerOn, _): "rst:0x1 (POWERON)"
            case (.software, _): "rst:0xc (RTC_SW_CPU_RST)"
            case (.watchdog, _): "rst:0x10 (RTCWDT_RTC_RST)"
            case (.usbSerialJTAG, _): "rst:0x15 (USB_UART_CHIP_RESET)"
            }
        }

        func romText(_ chip: Chip) -> String {
            romReason(chip) + (chip == .esp32 ? ",boot:0x13 (SPI_FAST_FLASH_BOOT)" : ",boot:0x8 (SPI_FAST_FLASH_BOOT)")
        }
    }

    /// What the ROM prints when it leaves reset with IO0 low (or the USB-Serial/JTAG's download flag set): its
    /// banner, the reset reason with the download boot mode, and `waiting for download` (the text esptool looks for).
    public static func downloadModeLog(chip: Chip, reset: ResetReason = .powerOn) -> String {
        var log = BootLog()
        log.downloadMode(chip: chip, reset: reset)
        return log.text
    }

    /// Security eFuses that change how the chip boots.
    public struct Security: Sendable {
        /// The ROM decrypts flash as it reads it: a plaintext image decrypts to garbage.
        public var flashEncryption = false
        /// The bootloader's signature must verify; images here carry none.
        public var secureBoot = false

        public init(flashEncryption: Bool = false, secureBoot: Bool = false) {
            self.flashEncryption = flashEncryption
            self.secureBoot = secureBoot
        }
    }

    public static func boot(flash: [UInt8], chip: Chip, reset: ResetReason = .powerOn, security: Security = Security()) -> Result {
        var log = BootLog()
        log.rom(chip: chip, reset: reset)
        let bootloaderOffset = chip.bootloaderOffset
        if security.flashEncryption {
            // What the ROM reads through the decryption of plaintext is noise: no image magic.
            log.line("invalid header: 0x\((word(flash, bootloaderOffset) ^ 0x5A5A_A5A5).hex8)")
            return Result(log: log.text, outcome: .bootLoop(reason: "flash encryption is on: the plaintext bootloader at "
                                                            + "\(hexText(bootloaderOffset)) decrypts to garbage"))
        }
        let bootloader: FirmwareImage
        switch loadImage(flash, at: bootloaderOffset, chip: chip) {
        case .failure(let problem):
            log.line(chip == .esp32 ? "invalid header: 0x\(word(flash, bootloaderOffset).hex8)" : "invalid header: 0x\(word(flash, bootloaderOffset).hex8)")
            return Result(log: log.text, outcome: .bootLoop(reason: "no valid bootloader at \(hexText(bootloaderOffset)): \(problem)"))
        case .success(let image):
            bootloader = image
        }
        if security.secureBoot {
            log.line("secure boot check fail")
            return Result(log: log.text, outcome: .bootLoop(reason: "secure boot is on: the bootloader at \(hexText(bootloaderOffset)) carries no valid signature"))
        }
        log.romLoad(bootloader, chip: chip)
        log.bootloaderStart(bootloader, chip: chip, flashSize: flash.count)

        let tableBytes = Array(flash[partitionTableOffset..<min(flash.count, partitionTableOffset + partitionTableLength)])
        let table: PartitionTable
        do throws(FormatError) {
            table = try PartitionTable.decode(tableBytes).table
        } catch {
            log.error("flash_parts", "partition 0 invalid magic number 0x\(UInt16(tableBytes[0]) << 8 | UInt16(tableBytes[1]))")
            log.error("boot", "Failed to verify partition table")
            log.error("boot", "load partition table error!")
            return Result(log: log.text, outcome: .bootLoop(reason: "no valid partition table at 0x8000: \(error.message)"))
        }
        log.partitionTable(table)
        guard !table.entries.isEmpty else {
            log.error("boot", "load partition table error!")
            return Result(log: log.text, outcome: .bootLoop(reason: "the partition table at 0x8000 is empty"))
        }

        let (slot, how) = selectApp(table, flash: flash)
        guard let slot else {
            log.error("boot", "No bootable app partitions in the partition table")
            return Result(log: log.text, outcome: .bootLoop(reason: "the partition table has no app partition"))
        }
        log.info("boot", how)
        let app: FirmwareImage
        switch loadImage(flash, at: Int(slot.offset), chip: chip, limit: Int(slot.size)) {
        case .failure(let problem):
            log.error("esp_image", "image at 0x\(String(slot.offset, radix: 16)) \(problem)")
            log.error("boot", "\(slot.name) partition is not bootable")
            log.error("boot", "No bootable app partitions in the partition table")
            return Result(log: log.text, outcome: .bootLoop(reason: "no valid app image in \(slot.name) at \(hexText(Int(slot.offset))): \(problem)"))
        case .success(let image):
            app = image
        }
        let description = app.descriptors(for: chip).app
        log.appStart(app, slot: slot, description: description)
        let booted = BootedApp(chip: chip, partition: slot, image: app, description: description, partitionTable: table,
                               atLayout: ATLayout(table: table, flash: flash))
        return Result(log: log.text, outcome: .app(booted))
    }

    /// The app partition the bootloader picks: the OTA slot named by the newest valid otadata entry, else the
    /// factory app, else the first OTA slot.
    static func selectApp(_ table: PartitionTable, flash: [UInt8]) -> (PartitionEntry?, String) {
        let apps = table.entries.filter { $0.type == 0 }
        let otaSlots = apps.filter { (0x10...0x1F).contains($0.subtype) }.sorted { $0.subtype < $1.subtype }
        if let otadata = table.entries.first(where: { $0.type == 1 && $0.subtype == 0 }), !otaSlots.isEmpty {
            var best: UInt32?
            for sector in 0..<2 {
                let at = Int(otadata.offset) + sector * 0x1000
                guard at + 32 <= flash.count else { continue }
                let seq = word(flash, at)
                let crc = word(flash, at + 28)
                guard seq != 0xFFFF_FFFF, crc == NVSChecksum.checksum(flash[at..<(at + 4)]) else { continue }
                best = max(best ?? 0, seq)
            }
            if let best, best > 0 {
                let slot = otaSlots[Int((best - 1) % UInt32(otaSlots.count))]
                return (slot, "Loading app from \(slot.name) (otadata sequence \(best))")
            }
        }
        if let factory = apps.first(where: { $0.subtype == 0 }) { return (factory, "Defaulting to factory image") }
        if let first = otaSlots.first { return (first, "No valid OTA data: loading \(first.name)") }
        return (nil, "")
    }

    enum Loaded { case success(FirmwareImage), failure(String) }

    /// An image at `offset` as the loader checks it.
    static func loadImage(_ flash: [UInt8], at offset: Int, chip: Chip, limit: Int? = nil) -> Loaded {
        guard offset < flash.count else { return .failure("lies beyond the end of the flash") }
        guard flash[offset] == FirmwareImage.magic else {
            return .failure("has invalid magic byte (nothing flashed here?)")
        }
        let end = min(flash.count, offset + (limit ?? flash.count - offset))
        let image: FirmwareImage
        do throws(FormatError) { image = try FirmwareImage(parsing: Array(flash[offset..<end])) } catch {
            return .failure("is not a valid image: \(error.message)")
        }
        let chipID = image.extendedHeader?.chipID ?? 0  // ESP32-family images always have the extended header
        guard chipID == chip.imageChipID else {
            return .failure("is for chip id \(chipID), this chip is \(chip.displayName) (id \(chip.imageChipID.map(String.init) ?? "none"))")
        }
        guard image.checksumIsValid else {
            return .failure("has a bad checksum (stored 0x\(String(image.storedChecksum, radix: 16)), computed 0x\(String(image.computedChecksum, radix: 16)))")
        }
        if image.digestIsValid == false { return .failure("has an appended SHA-256 that does not match") }
        return .success(image)
    }

    static func word(_ flash: [UInt8], _ at: Int) -> UInt32 {
        guard at + 4 <= flash.count else { return 0xFFFF_FFFF }
        return UInt32(flash[at]) | UInt32(flash[at + 1]) << 8 | UInt32(flash[at + 2]) << 16 | UInt32(flash[at + 3]) << 24
    }

    static func hexText(_ value: Int) -> String { "0x" + String(value, radix: 16) }
}

/// The app the bootloader started.
public struct BootedApp: Sendable {
    public var chip: Chip
    public var partition: PartitionEntry
    public var image: FirmwareImage
    /// `esp_app_desc_t`; nil when the image has none (AT+GMR then says so).
    public var description: AppDescription?
    public var partitionTable: PartitionTable
    /// The AT firmware's customized partitions, when the main table has an `at_customize` entry whose first bytes
    /// are a partition table.
    public var atLayout: ATLayout?
}

/// at_customize.bin and what the firmware reads through it.
public struct ATLayout: Sendable {
    /// Flash address of at_customize.bin (the main table's `at_customize` entry).
    public var tableOffset: Int
    /// Its entries, in table order: what AT+SYSFLASH? lists and AT+SYSFLASH may touch.
    public var partitions: [PartitionEntry]
    /// The legacy factory_param partition, when present with magic FC FC.
    public var settings: FactoryParamSettings?

    init?(table: PartitionTable, flash: [UInt8]) {
        guard let entry = table.entries.first(where: { $0.name == "at_customize" }) else { return nil }
        let start = Int(entry.offset)
        guard start + BootModel.partitionTableLength <= flash.count,
              let custom = try? PartitionTable.decode(Array(flash[start..<(start + BootModel.partitionTableLength)])) else { return nil }
        tableOffset = start
        partitions = custom.table.entries
        if let param = partitions.first(where: { $0.name == "factory_param" }), Int(param.end) <= flash.count {
            settings = FactoryParamSettings(flash[Int(param.offset)..<Int(param.offset) + min(Int(param.size), 4096)])
        }
    }
}

extension UInt32 {
    var hex8: String { String(self, radix: 16).leftPadded(8) }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
