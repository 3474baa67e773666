/// merge-bin's `--config` files behind `FormatDecoder` (`merge-config`): esp-at download.config, ESP-IDF
/// flash_project_args / flash_args and flasher_args.json.
public struct MergeConfigFormat: FormatDecoder {
    public typealias Value = FlashConfigFile
    public init() {}
    public var formatName: String { "merge-config" }
    public var maxInputSize: Int { InputLimits.text }
    public func decode(_ bytes: [UInt8]) throws(FormatError) -> FlashConfigFile { try FlashConfigFile(parsing: bytes) }

    /// Whatever a config file says, merging its pairs (over stand-in contents) ends in an image or an error, and
    /// stays within the largest flash.
    public func checkProperties(_ bytes: [UInt8]) -> String? {
        guard let config = try? decodeChecked(bytes) else { return nil }
        let inputs = config.entries.prefix(8).map { MergeInput(address: $0.address, name: $0.path, bytes: [0xE9, 0, 0, 0]) }
        var options = MergeOptions(chip: .esp32)
        options.flash = config.flash
        for format in MergeFormat.allCases {
            options.format = format
            guard let result = try? FirmwareMerger.merge(Array(inputs), options: options) else { continue }
            guard result.length <= InputLimits.flashSize * 4 else { return "\(formatName): a merge of \(result.length) bytes" }
        }
        return nil
    }
}
