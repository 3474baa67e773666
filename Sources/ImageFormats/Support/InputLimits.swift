/// Upper bounds on what the tool reads and makes, so that a wrong number or a hostile file ends in a clear error
/// instead of filling memory or the disk (README, "Limits").
public enum InputLimits {
    /// The largest flash any ESP32-family chip has (the largest size the flash ID names: 256 MB). No flash address,
    /// merged image, padded size, NVS partition or emulated flash goes beyond it.
    public static let flashSize = 256 << 20

    /// Binary inputs: an image, a partition, a whole flash dump. Nothing an ESP32 holds is larger than its flash.
    public static let binary = flashSize

    /// Text inputs: CSV, configuration files, PEM. The largest real ones are a few MB (a 100,000-row values CSV).
    public static let text = 64 << 20

    /// `N bytes (M MB)` for messages.
    public static func describe(_ bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MB" : "\(bytes) bytes"
    }

    /// The error for an input of more than `limit` bytes.
    public static func tooLarge(_ what: String, limit: Int) -> FormatError {
        let kind = limit == text ? "a text input" : limit == binary ? "a binary input (no ESP32 flash is larger)" : "this input"
        return FormatError("input.too_large", "\(what) is larger than \(describe(limit)), the most this tool reads as \(kind)",
                           help: "check that this is the right file")
    }

    /// Throws unless `count` bytes fit `limit`.
    public static func check(_ count: Int, limit: Int, _ what: String = "the input") throws(FormatError) {
        guard count <= limit else { throw tooLarge(what, limit: limit) }
    }

    /// Throws unless a flash size or end address given by the user fits the largest flash.
    public static func checkFlashExtent(_ value: Int, _ what: String) throws(FormatError) {
        guard value >= 0, value <= flashSize else {
            throw FormatError("input.beyond_flash",
                              "\(what) \(value.pythonHex) is beyond the largest flash (\(describe(flashSize)), 0x\(String(flashSize, radix: 16)))",
                              help: "ESP32-family flash ends at \(describe(flashSize)) at most; check the number")
        }
    }
}
