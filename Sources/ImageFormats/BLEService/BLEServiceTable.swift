/// The GATT attribute table of the AT firmware's `ble_data` partition (esp-at v1.0 – v3.0), as
/// `tools/BLEService.py` builds it from a CSV: a 4-byte header and a JSON text.
/// Layout and quirks: shared/reference/esp-at.md §3.
public struct BLEServiceTable: Sendable, Equatable {
    /// The CSV columns, which are also the JSON keys.
    public enum Key: String, Sendable, CaseIterable {
        case index, uuidLength = "uuid_len", uuid, permissions = "perm"
        case maxLength = "val_max_len", currentLength = "val_cur_len", value
    }

    /// One row: one attribute (service declaration, characteristic declaration, value or descriptor).
    public struct Attribute: Sendable, Equatable {
        public var index: Int
        /// 16, 32 or 128.
        public var uuidLength: Int
        /// The UUID as stored: upper-case hex with leading zeros dropped, then one `0` added if the digit count is odd.
        public var uuid: String
        public var permissions: Int
        public var maxLength: Int
        public var currentLength: Int
        /// The value as stored: upper-case hex, two digits a byte.
        public var value: String

        public init(index: Int, uuidLength: Int, uuid: String, permissions: Int, maxLength: Int = 512,
                    currentLength: Int = 0, value: String = "") {
            self.index = index
            self.uuidLength = uuidLength
            self.uuid = uuid
            self.permissions = permissions
            self.maxLength = maxLength
            self.currentLength = currentLength
            self.value = value
        }

        /// Byte count of `value` (it always holds whole bytes).
        public var valueByteCount: Int { value.utf8.count / 2 }
    }

    public var attributes: [Attribute]
    /// JSON key order inside each attribute object: BLEService.py (Python 3) follows the CSV column order and
    /// appends the missing columns in its YAML schema order.
    public var keyOrder: [Key]

    public init(attributes: [Attribute], keyOrder: [Key] = Key.allCases) {
        self.attributes = attributes
        self.keyOrder = keyOrder
    }

    /// Magic after the length field; the firmware checks these two bytes before an OTA of ble_data (`at_ota_cmd.c`).
    public static let magic: [UInt8] = [0x27, 0x95]
    /// The ble_data partition size in the ESP32 at_customize.csv (esp-at.md §1.5).
    public static let esp32PartitionSize = 12 * 1024

    /// Permission bits the firmware defines (ESP_GATT_PERM_*; esp-at How_to_customize_BLE_services.rst).
    public static let permissionNames: [(bit: Int, name: String)] = [
        (0x001, "READ"), (0x002, "READ_ENCRYPTED"), (0x004, "READ_ENC_MITM"), (0x010, "WRITE"),
        (0x020, "WRITE_ENCRYPTED"), (0x040, "WRITE_ENC_MITM"), (0x080, "WRITE_SIGNED"), (0x100, "WRITE_SIGNED_MITM"),
        (0x200, "READ_AUTHORIZATION"), (0x400, "WRITE_AUTHORIZATION"),
    ]
    public static let permissionMask = permissionNames.reduce(0) { $0 | $1.bit }
    public static let uuidLengths: Set<Int> = [16, 32, 128]
}

extension FormatError.Code {
    static let bleBadHeader: FormatError.Code = "ble_service.bad_header"
    static let bleBadCell: FormatError.Code = "ble_service.bad_cell"
    static let bleBadRow: FormatError.Code = "ble_service.bad_row"
    static let bleTooLarge: FormatError.Code = "ble_service.too_large"
    static let bleBadBinary: FormatError.Code = "ble_service.bad_binary"
}
