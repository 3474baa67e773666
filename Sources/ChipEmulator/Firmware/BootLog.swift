import ImageFormats

/// The text a chip prints on UART0 while it boots, in the shape of the ROM's and ESP-IDF's messages (the ROM
/// banner and `load:` lines, `I (ms) boot: …` lines with a made-up but increasing millisecond count).
struct BootLog {
    private(set) var text = ""
    private var milliseconds = 27

    mutating func line(_ s: String) { text += s + "\r\n" }

    mutating func info(_ tag: String, _ message: String) { stamped("I", tag, message) }
    mutating func error(_ tag: String, _ message: String) { stamped("E", tag, message) }

    private mutating func stamped(_ level: String, _ tag: String, _ message: String) {
        line("\(level) (\(milliseconds)) \(tag): \(message)")
        milliseconds += 4
    }

    mutating func rom(chip: Chip, reset: BootModel.ResetReason) {
        banner(chip)
        line(reset.romText(chip))
        if chip == .esp32 {
            line("configsip: 0, SPIWP:0xee")
            line("clk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00")
        } else {
            line("SPIWP:0xee")
        }
    }

    /// The ROM's lines for a boot into download mode (the strapping pins, or the USB-Serial/JTAG's flag).
    mutating func downloadMode(chip: Chip, reset: BootModel.ResetReason) {
        banner(chip)
        let mode = switch chip {
        case .esp32: "boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))"
        case _ where chip.loader?.usbSerialJTAG != nil: "boot:0x0 (DOWNLOAD(USB/UART0))"
        default: "boot:0x0 (DOWNLOAD(UART0/UART1))"
        }
        line(reset.romReason(chip) + "," + mode)
        line("waiting for download")
    }

    private mutating func banner(_ chip: Chip) {
        for text in RomProfile.profile(for: chip)?.banner ?? [] { line(text) }
    }

    mutating func romLoad(_ image: FirmwareImage, chip: Chip) {
        let mode = FlashMode(headerCode: image.flashMode)?.rawValue.uppercased() ?? "DIO"
        line("mode:\(mode), clock div:\(chip == .esp32 ? 2 : 1)")
        for segment in image.segments {
            if chip == .esp32 {
                line("load:0x\(UInt32(segment.loadAddress).hex8),len:\(segment.data.count)")
            } else {
                line("load:0x\(UInt32(segment.loadAddress).hex8),len:0x\(String(segment.data.count, radix: 16))")
            }
        }
        line("entry 0x\(image.entryPoint.hex8)")
    }

    mutating func bootloaderStart(_ image: FirmwareImage, chip: Chip, flashSize: Int) {
        let idf = image.descriptors(for: chip).bootloader?.idfVersion
        info("boot", "ESP-IDF \(idf ?? "(no bootloader description)") 2nd stage bootloader")
        info("boot.\(chip.rawValue)", "SPI Flash Size : \(flashSize / (1 << 20))MB")
    }

    mutating func partitionTable(_ table: PartitionTable) {
        info("boot", "Partition Table:")
        info("boot", "## Label            Usage          Type ST Offset   Length")
        for (i, e) in table.entries.enumerated() {
            let label = e.name.padding(16)
            let usage = (e.type == 0 ? "app" : e.type == 1 ? "data" : "unknown").padding(14)
            info("boot", " \(i) \(label) \(usage) \(e.type.hex2) \(e.subtype.hex2) \(e.offset.hex8) \(e.size.hex8)")
        }
        info("boot", "End of partition table")
    }

    mutating func appStart(_ app: FirmwareImage, slot: PartitionEntry, description: AppDescription?) {
        for (i, segment) in app.segments.enumerated() {
            info("esp_image", "segment \(i): vaddr=0x\(segment.loadAddress.hex8) size=0x\(String(segment.data.count, radix: 16))")
        }
        info("boot", "Loaded app from partition at offset 0x\(String(slot.offset, radix: 16))")
        info("cpu_start", "Pro cpu up.")
        if let d = description {
            info("cpu_start", "Application information:")
            info("cpu_start", "Project name:     \(d.projectName)")
            info("cpu_start", "App version:      \(d.version)")
            info("cpu_start", "Compile time:     \(d.compileDate) \(d.compileTime)")
            info("cpu_start", "ESP-IDF:          \(d.idfVersion)")
        }
        info("cpu_start", "Starting scheduler on PRO CPU.")
    }
}

extension UInt8 {
    var hex2: String { let s = String(self, radix: 16); return s.count == 1 ? "0" + s : s }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
