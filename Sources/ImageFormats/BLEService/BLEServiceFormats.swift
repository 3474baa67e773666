/// The BLE service table's inputs behind `FormatDecoder`: the CSV (`ble-csv`) and ble_data.bin (`ble-bin`).

/// The CSV BLEService.py reads; its property writes the bin and reads it back as the same table.
public struct BLEServiceCSVFormat: TextFormatDecoder {
    public typealias Value = BLEServiceTable
    public init() {}
    public var formatName: String { "ble-csv" }
    public func parse(_ text: String) throws(FormatError) -> BLEServiceTable { try BLEServiceTable.parseCSV(text).table }

    public func checkProperties(_ bytes: [UInt8]) -> String? {
        guard let table = try? decodeChecked(bytes), let binary = try? table.encoded(partitionSize: nil) else { return nil }
        let back: BLEServiceTable.Decoded
        do throws(FormatError) { back = try BLEServiceTable.decode(binary) } catch {
            return "\(formatName): the bin written for a CSV does not read back: \(error)"
        }
        guard back.table == table else { return "\(formatName): the bin written for a CSV reads back as another table" }
        return BLEServiceBinaryFormat().checkProperties(binary)
    }
}

/// ble_data.bin (length, magic 27 95, JSON), written back as BLEService.py writes it.
public struct BLEServiceBinaryFormat: FormatEncoder {
    public typealias Value = BLEServiceTable.Decoded
    public init() {}
    public var formatName: String { "ble-bin" }
    public func decode(_ bytes: [UInt8]) throws(FormatError) -> BLEServiceTable.Decoded { try BLEServiceTable.decode(bytes) }
    public func encode(_ decoded: BLEServiceTable.Decoded) throws(FormatError) -> [UInt8] { try decoded.table.encoded(partitionSize: nil) }
}
