/// The text report, laid out line for line as esptool 5.6.0 `image-info` prints it (`cmds.py: image_info`,
/// `_print_image_info`), without esptool's version banner. Header codes without a name are left out here and
/// reported through `warnings`, as esptool prints them as warnings.
extension ImageInfo {
    public var text: String {
        var lines: [String] = []
        let title = { (text: String) in lines += [text, String(repeating: "=", count: text.count)] }
        lines.append("Image size: \(size) bytes")
        lines.append("Detected image type: \(chip.displayName)")
        lines.append("")
        title("\(chip.displayName) Image Header")
        lines.append("Image version: \(image.version)")
        lines.append(image.entryPoint != 0 ? "Entry point: " + pad(hex(image.entryPoint), 8) : "Entry point not set")
        lines.append("Segments: \(image.segments.count)")
        if let size = chip.flashSizeName(image.flashSizeCode) { lines.append("Flash size: \(size)") }
        if let freq = chip.flashFrequencyName(image.flashFrequencyCode) { lines.append("Flash freq: \(freq)") }
        if let mode = FlashMode(headerCode: image.flashMode)?.rawValue { lines.append("Flash mode: \(mode.uppercased())") }
        if let ext = image.extendedHeader { extendedHeaderLines(ext, into: &lines) }
        lines.append("")

        title("Segments Information")
        lines.append("Segment   Length   Load addr   File offs  Memory types")
        lines.append("-------  -------  ----------  ----------  ------------")
        for (index, segment) in image.segments.enumerated() {
            lines.append(pad(String(index), 7) + "  " + zeroHex(segment.data.count, digits: 5) + "  "
                         + zeroHex(Int(segment.loadAddress), digits: 8) + "  " + zeroHex(segment.fileOffset, digits: 8)
                         + "  " + chip.memoryTypes(at: segment.loadAddress).joined(separator: ", "))
        }
        lines.append("")

        title("\(chip.displayName) Image Footer")
        let computed = image.computedChecksum
        lines.append("Checksum: \(zeroHex(Int(image.storedChecksum), digits: 2)) ("
                     + (image.checksumIsValid ? "valid" : "invalid - calculated \(zeroHex(Int(computed), digits: 2))") + ")")
        if let digest = image.computedDigest, let valid = image.digestIsValid {
            lines.append("Validation hash: \(digest.hexString) (\(valid ? "valid" : "invalid"))")
        }

        if let app {
            lines.append("")
            title("Application Information")
            lines.append("Project name: \(app.projectName)")
            lines.append("App version: \(app.version)")
            lines.append("Compile time: \(app.compileDate) \(app.compileTime)")
            lines.append("ELF file SHA256: \(app.elfSHA256.hexString)")
            lines.append("ESP-IDF: \(app.idfVersion)")
            lines.append("Minimal eFuse block revision: \(app.minEfuseBlockRevision / 100).\(app.minEfuseBlockRevision % 100)")
            lines.append("Maximal eFuse block revision: \(app.maxEfuseBlockRevision / 100).\(app.maxEfuseBlockRevision % 100)")
            if let mmu = app.mmuPageSize { lines.append("MMU page size: \(mmu)") }
            lines.append("Secure version: \(app.secureVersion)")
        } else if let bootloader {
            lines.append("")
            title("Bootloader Information")
            lines.append("Bootloader version: \(bootloader.version)")
            lines.append("ESP-IDF: \(bootloader.idfVersion)")
            lines.append("Compile time: \(bootloader.dateTime)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The "Extended Image Header" section (ESP32-family images only).
    private func extendedHeaderLines(_ ext: FirmwareImage.ExtendedHeader, into lines: inout [String]) {
        lines.append("")
        let title = "\(chip.displayName) Extended Image Header"
        lines += [title, String(repeating: "=", count: title.count)]
        lines.append("WP pin: \(hex(ext.wpPin))" + (ext.wpPin == FirmwareImage.wpPinDisabled ? " (disabled)" : ""))
        let d = ext.driveSettings
        lines.append("Flash pins drive settings: clk_drv: \(hex(d[0])), q_drv: \(hex(d[1])), d_drv: \(hex(d[2])), "
                     + "cs0_drv: \(hex(d[3])), hd_drv: \(hex(d[4])), wp_drv: \(hex(d[5]))")
        lines.append("Chip ID: \(ext.chipID) (\(Self.chipName(forID: ext.chipID)))")
        lines.append("Minimal chip revision: \(Self.revision(ext.minRevisionFull)), (legacy min_rev = \(ext.minRevision))")
        lines.append("Maximal chip revision: \(Self.revision(ext.maxRevisionFull))")
    }

    /// The name esptool prints after "Chip ID:" for any chip id it knows.
    public static func chipName(forID id: UInt16) -> String {
        Chip.withImageChipID(id)?.displayName ?? "Unknown ID"
    }
}

private func hex<T: BinaryInteger>(_ v: T) -> String { "0x" + String(v, radix: 16) }
private func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
/// Python's `{:#0Nx}`: `0x` then at least `digits` hex digits.
private func zeroHex(_ v: Int, digits: Int) -> String {
    let h = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, digits - h.count)) + h
}
