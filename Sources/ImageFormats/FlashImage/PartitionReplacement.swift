/// `image replace`: a new file for one partition of a whole flash image, found by name in the partition tables.
/// The partition becomes the file followed by 0xFF (as if erased and written); nothing outside it changes. A file
/// larger than the partition, a partition past the image's end and (unless forced) content the firmware would
/// reject for that partition are refused.
public enum PartitionReplacement {
    public struct Result: Sendable {
        public var image: [UInt8]
        public var partition: FlashLayout.Partition
        /// How many bytes of the partition the file fills (the rest is 0xFF).
        public var fileSize: Int
    }

    public static func apply(_ file: [UInt8], to name: String, in image: [UInt8], tableOffset: Int? = nil,
                             checkContent: Bool = true) throws(FormatError) -> Result {
        let layout = try FlashLayout.locate(in: image, tableOffset: tableOffset)
        let partition = try layout.partition(named: name)
        let range = partition.range
        guard file.count <= range.count else {
            throw FormatError("image.too_large", "the file is \(file.count) bytes; partition '\(name)' holds \(range.count) (0x\(hexAddress(range.count)))",
                              help: "make the file smaller or give the partition more room in the table")
        }
        guard range.upperBound <= image.count else {
            throw FormatError("image.outside", "partition '\(name)' (0x\(hexAddress(range.lowerBound))–0x\(hexAddress(range.upperBound))) ends past the "
                              + "image's \(image.count) bytes", help: "pad the image to the flash size first (merge-bin --pad-to-size)")
        }
        if checkContent, let problem = contentProblem(file, for: partition.entry) {
            throw FormatError("image.wrong_content", "this file is not what partition '\(name)' holds: \(problem)",
                              help: "--force puts it there anyway")
        }
        var out = image
        out.replaceSubrange(range, with: file + [UInt8](repeating: 0xFF, count: range.count - file.count))
        return Result(image: out, partition: partition, fileSize: file.count)
    }

    /// PKI partitions of esp-at v1.0 – v3.0 (raw, magic F1 F1).
    static let pkiNames: Set<String> = [
        "server_cert", "server_key", "server_ca", "client_cert", "client_key", "client_ca", "mqtt_cert", "mqtt_key", "mqtt_ca",
        "wpa2_cert", "wpa2_key", "wpa2_ca",
    ]

    /// Why the firmware would not use `bytes` in `partition`, by the checks it makes itself (esp-at's OTA of a
    /// customized partition checks these magics, `at_ota_cmd.c`) and the formats' own headers; nil when fine or
    /// when this tool knows no rule for the partition.
    public static func contentProblem(_ bytes: [UInt8], for partition: PartitionEntry) -> String? {
        let blank = bytes.allSatisfy { $0 == 0xFF }
        func expect(_ ok: Bool, _ what: String) -> String? {
            ok ? nil : "it should be \(what)" + (FlashContent.identify(bytes).map { ", but it looks like \($0)" } ?? "")
        }
        switch (partition.type, partition.subtype, partition.name) {
        case (0x00, _, _):
            guard !blank else { return nil }
            return expect((try? ImageInfo(inspecting: bytes)) != nil, "an application image (0xE9)")
        case (0x01, 0x02, _):
            guard bytes.count % NVSFormat.pageSize == 0 else { return "an NVS image is a whole number of 4096-byte pages; this is \(bytes.count) bytes" }
            return expect(blank || FlashContent.isNVSPage(bytes), "an NVS image")
        case (0x03, _, _), (0x40, 0x00, "at_customize"):
            return expect((try? PartitionTable.decode(Array(bytes.prefix(FlashLayout.tableLength)))) != nil, "a binary partition table (AA 50)")
        case (_, _, "factory_param"):
            return expect(bytes.starts(with: FactoryParamLayout.magic), "factory_param (FC FC)")
        case (_, _, "ble_data"):
            return expect(bytes.count > 4 && Array(bytes[2..<4]) == BLEServiceTable.magic, "ble_data (27 95 at byte 2)")
        case (_, _, let name) where pkiNames.contains(name):
            return expect(bytes.starts(with: [0xF1, 0xF1]), "a PKI bin (F1 F1)")
        default:
            return nil
        }
    }
}

/// What the check after an edit looks at: the bytes that changed, the tables, and the integrity records.
public enum FlashEditCheck {
    /// Problems in `after` compared with `before`; empty when only bytes inside `allowed` changed, the partition
    /// tables are the same (unless a table itself was the thing edited) and no MD5, checksum or SHA-256 broke.
    public static func problems(before: [UInt8], after: [UInt8], allowed: [Range<Int>], tableOffset: Int? = nil) -> [String] {
        guard before.count == after.count else { return ["the image size changed from \(before.count) to \(after.count) bytes"] }
        var problems: [String] = []
        var i = 0
        while i < before.count {
            if before[i] != after[i], !allowed.contains(where: { $0.contains(i) }) {
                problems.append("byte 0x\(hexAddress(i)) changed outside the edited bytes")
                break
            }
            i += 1
        }
        guard let old = try? FlashLayout.locate(in: before, tableOffset: tableOffset) else { return problems }
        guard let new = try? FlashLayout.locate(in: after, tableOffset: tableOffset) else {
            return problems + ["the partition tables can no longer be read"]
        }
        let tableEdited = old.tables.contains { table in
            allowed.contains { $0.overlaps(table.offset..<(table.offset + FlashLayout.tableLength)) }
        }
        if !tableEdited && old.partitions.map(\.entry) != new.partitions.map(\.entry) {
            problems.append("the partitions the tables list changed")
        }
        let regressions = FlashIntegrity.check(after, layout: new).regressions(from: FlashIntegrity.check(before, layout: old))
        problems += regressions.map { "\($0.what) at 0x\(hexAddress($0.offset)) is no longer valid: \($0.state)" }
        return problems
    }
}
