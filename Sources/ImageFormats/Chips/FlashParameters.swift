/// Flash mode and size codes of image header bytes 2 and 3, the same for every ESP32-family chip.
/// Sources: esptool 5.6.0 `cmds.py: FLASH_MODES`, `targets/esp32.py: ESP32ROM.FLASH_SIZES` (reference/esptool.md §5.2).
public enum FlashParameters {
    /// Byte 2 of the image header.
    public static let modes: [(name: String, code: UInt8)] = [("qio", 0), ("qout", 1), ("dio", 2), ("dout", 3)]

    /// High nibble of byte 3.
    public static let sizes: [(name: String, code: UInt8)] = [
        ("1MB", 0x00), ("2MB", 0x10), ("4MB", 0x20), ("8MB", 0x30),
        ("16MB", 0x40), ("32MB", 0x50), ("64MB", 0x60), ("128MB", 0x70),
    ]

    /// Every `--flash-freq` value esptool's command line accepts (whether a chip supports it is checked later).
    public static let frequencyChoices = ["80m", "64m", "60m", "48m", "40m", "32m", "30m", "26m", "24m", "20m", "16m", "15m", "12m"]

    /// Every `--flash-size` value esptool's merge-bin accepts; the ESP8266-only ones fail when a header is patched.
    public static let sizeChoices = ["256KB", "512KB", "1MB", "2MB", "2MB-c1", "4MB", "4MB-c1", "8MB", "16MB", "32MB", "64MB", "128MB"]

    public static func modeCode(_ name: String) -> UInt8? { modes.first { $0.name == name.lowercased() }?.code }
    public static func modeName(_ code: UInt8) -> String? { modes.first { $0.code == code }?.name }
    public static func sizeCode(_ name: String) -> UInt8? { sizes.first { $0.name == name }?.code }
    public static func sizeName(_ code: UInt8) -> String? { sizes.first { $0.code == code }?.name }
}
