/// The "esptool:" line of each command's help: how esptool (v5, and v4 with underscores) or the original script
/// spells the command and its options where this tool's spelling differs, so that a user's habits carry over.
enum EsptoolSpelling {
    /// Commands esptool has, by this tool's name: esptool 5's spelling (the same), v4's (underscores), and option
    /// spellings that differ.
    static let esptoolOptions: [String: String] = [
        "write-flash": "-fm/--flash_mode, -ff/--flash_freq, -fs/--flash_size (v4); -z/--compress, --skip-flashed, --verify, --no-stub are accepted and change nothing; -u is --no-compress; esptool's -p (--no-progress) is the port here",
        "read-flash": "esptool's -p (--no-progress) is the port here",
        "verify-flash": "--diff (v5) or --diff yes|no (v4); -fm/-ff/-fs as write-flash",
        "merge-bin": "--fill-flash-size (v4) is --pad-to-size; --flash_mode/--flash_freq/--flash_size (v4)",
        "erase-region": "--force is accepted",
        "read-flash-status": "--bytes 1|2|3",
        "write-flash-status": "--bytes 1|2|3, --non-volatile",
        "load-ram": "esptool takes an image from elf2image; this also takes the ELF",
    ]

    /// Commands that are not esptool's: the tool they replace.
    static let originals: [String: String] = [
        "board-info": "espflash board-info (esptool prints the same facts when it connects)",
        "list-ports": "espflash list-ports; esptool lists candidate ports only while connecting",
        "partition-table": "ESP-IDF gen_esp32part.py",
        "nvs": "esp-idf-nvs-partition-gen (nvs_partition_gen.py) and ESP-IDF mfg_gen.py",
        "factory-param": "esp-at factory_param_generate.py",
        "ble-service": "esp-at BLEService.py",
        "pki": "esp-at AtPKI.py",
        "emulate": "esp32-mock-bootloader (a test peer)",
    ]

    /// The line for `command`: `esptool: write-flash (v4: write_flash); options: …`.
    static func line(_ command: String) -> String {
        if let original = originals[command] { return "Replaces: \(original)." }
        var text = "esptool: \(command)"
        if command.contains("-") { text += " (v4: \(String(command.map { $0 == "-" ? "_" : $0 })))" }
        if let options = esptoolOptions[command] { text += "; options: \(options)" }
        guard CommandTree.deviceCommands.contains(command) else { return text + "." }
        return text + ". Connection options may also stand before the command, as esptool takes them: "
            + "espflash-swift -p PORT -b BAUD \(command) …"
    }

    /// A command's discussion with the esptool line first.
    static func discussion(_ command: String, _ text: String) -> String {
        line(command) + "\n\n" + text
    }
}
