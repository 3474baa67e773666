/// Every parser of the project, one entry per format (and per way of reading it): `imageFormats` here, the ROM
/// loader's protocol in SerialBootloader (`FormatCatalog.loaderProtocol`), the AT firmware's replies in ATCommands
/// (`FormatCatalog.atCommands`). The fuzz targets are these entries, by `formatName`.
public enum FormatCatalog {
    /// The fixed key `nvs-image-key` decrypts with: bytes 0, 1, 2 … 63 (Fixtures/nvs/nvs_keys_fixed.bin).
    public static let fixedNVSKeys = NVSKeys(encryptionKey: (0..<32).map(UInt8.init), tweakKey: (32..<64).map(UInt8.init))

    public static let imageFormats: [any FormatDecoder] = [
        PartitionCSVFormat(),
        PartitionBinaryFormat(),
        NVSCSVFormat(),
        NVSImageFormat(),
        NVSImageFormat(keys: fixedNVSKeys),
        NVSKeysFormat(),
        NVSMassConfigFormat(),
        NVSMassValuesFormat(),
        FactoryParamTypesFormat(),
        FactoryParamDataFormat(),
        FactoryParamBinaryFormat(),
        BLEServiceCSVFormat(),
        BLEServiceBinaryFormat(),
        PKIBinaryFormat(),
        PKIItemFormat(),
        ESP32ImageFormat(),
        ImageInfoFormat(),
        MergeConfigFormat(),
        FlashLayoutFormat(),
    ]

    /// The entry named `name` among `formats`.
    public static func format(named name: String, in formats: [any FormatDecoder]) -> (any FormatDecoder)? {
        formats.first { $0.formatName == name }
    }
}
