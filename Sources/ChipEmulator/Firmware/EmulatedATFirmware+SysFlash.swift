import ImageFormats

/// AT+SYSFLASH on the partitions at_customize.bin lists, with the command set's rules: operation 0 erases
/// whole 4 KB sectors (offset and length multiples of 4 KB, or both left out for the whole partition), 1 writes the
/// bytes sent after `>` (NOR programming: only bits that are 1 can change, so the range must have been erased),
/// 2 reads (`+SYSFLASH:<length>,<bytes>`). Unknown names, ranges outside the partition, zero lengths and
/// misaligned erases are ERROR; the flash is the chip's own, the one download mode reads and writes.
extension EmulatedATFirmware {
    func sysFlash(_ arguments: String) -> Reply {
        let fields = Self.fields(arguments)
        guard fields.count == 2 || fields.count == 4, let operation = Int(fields[0]) else { return error(0x0106_0000) }
        guard let partition = app.atLayout?.partitions.first(where: { $0.name == fields[1] }) else { return error(0x0107_0000) }
        let size = Int(partition.size)
        var offset = 0
        var length = size
        if fields.count == 4 {
            guard let o = Self.number(fields[2]), let l = Self.number(fields[3]) else { return error(0x0105_0000) }
            offset = o
            length = l
        } else if operation != 0 {
            return error(0x0106_0000)  // only an erase may leave out offset and length
        }
        guard offset >= 0, length > 0, offset + length <= size, Int(partition.offset) + offset + length <= device.flash.size else {
            return error(0x0107_0000)
        }
        let address = Int(partition.offset) + offset
        switch operation {
        case 0:
            let sector = NORFlash.sectorSize
            guard offset % sector == 0, length % sector == 0 else { return error(0x0107_0000) }
            device.atFirmwareErase(address: address, length: length)
            return ok()
        case 1:
            guard length <= Self.freeHeap else { return error(0x010A_0000) }
            dataPhase = DataPhase(partition: partition, offset: address, remaining: length, bytes: [])
            return Reply(bytes: Array("\r\n>".utf8))
        case 2:
            let data = device.flash.read(address, length)
            return Reply(bytes: Array("+SYSFLASH:\(length),".utf8) + data + Array("\r\n".utf8) + okBytes)
        default:
            return error(0x0107_0000)
        }
    }

    func finishWrite() -> Reply {
        guard let phase = dataPhase else { return error(0x010A_0000) }
        dataPhase = nil
        device.atFirmwareProgram(phase.bytes, address: phase.offset)
        return Reply(bytes: okBytes)
    }

    /// Splits `0,"ble_data",4096,8192`: quoted strings with `\` escapes, plain numbers.
    static func fields(_ text: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for c in text {
            if escaped { current.append(c); escaped = false } else if c == "\\" && quoted { escaped = true } else if c == "\"" { quoted.toggle() } else if c == "," && !quoted {
                fields.append(current)
                current = ""
            } else { current.append(c) }
        }
        fields.append(current)
        return fields
    }

    /// A decimal or `0x` hex parameter.
    static func number(_ text: String) -> Int? {
        let t = Substring(text).trimmingCharacters(" ")
        if t.hasPrefix("0x") || t.hasPrefix("0X") { return Int(t.dropFirst(2), radix: 16) }
        return Int(t)
    }
}

extension EmulatedDevice {
    /// The AT firmware's `esp_partition_erase_range`: whole sectors to 0xFF.
    func atFirmwareErase(address: Int, length: Int) {
        flashEraseSectors(address: address, length: length)
    }

    /// The AT firmware's `esp_partition_write`: NOR programming.
    func atFirmwareProgram(_ bytes: [UInt8], address: Int) {
        flashProgram(bytes, address: address)
    }
}
