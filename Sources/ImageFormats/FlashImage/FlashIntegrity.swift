/// The checks a whole flash image carries: every partition table's MD5 record, and the checksum and appended
/// SHA-256 of the bootloader and of every application partition that holds an image. An edit must leave each of
/// them as it found it (or better).
public struct FlashIntegrity: Sendable, Equatable {
    public enum State: Sendable, Equatable, CustomStringConvertible {
        case valid
        /// The record is not there (a table without MD5, an image without SHA-256).
        case absent
        case invalid(String)

        public var description: String {
            switch self {
            case .valid: "valid"
            case .absent: "none"
            case .invalid(let why): "INVALID (\(why))"
            }
        }
    }

    public struct Record: Sendable, Equatable, CustomStringConvertible {
        /// `partition table MD5`, `bootloader checksum`, `ota_0 SHA-256`…
        public var what: String
        public var offset: Int
        public var state: State
        public var description: String { "\(what) at 0x\(hexAddress(offset)): \(state)" }
    }

    public var records: [Record]

    public var allValid: Bool { records.allSatisfy { if case .invalid = $0.state { false } else { true } } }

    /// Records whose state got worse from `before` to this check (valid or absent before, invalid now).
    public func regressions(from before: FlashIntegrity) -> [Record] {
        records.filter { record in
            guard case .invalid = record.state else { return false }
            let old = before.records.first { $0.what == record.what && $0.offset == record.offset }
            if case .invalid = old?.state { return false }
            return true
        }
    }

    public static func check(_ image: [UInt8], layout: FlashLayout) -> FlashIntegrity {
        var records: [Record] = []
        for table in layout.tables {
            let state: State
            do throws(FormatError) {
                let bytes = Array(image[table.offset..<min(image.count, table.offset + FlashLayout.tableLength)])
                state = try PartitionTable.decode(bytes).md5 == .valid ? .valid : .absent
            } catch {
                state = .invalid(error.message)
            }
            records.append(Record(what: "\(table.name) MD5", offset: table.offset, state: state))
        }
        // The bootloader sits at its chip's offset (0x1000 ESP32/S2, 0x2000 C5/P4/H4/S31, else 0) below the table.
        let tableStart = layout.tables.first?.offset ?? FlashLayout.defaultTableOffset
        for offset in [0x0, 0x1000, 0x2000] where offset < tableStart && offset < image.count && image[offset] == FirmwareImage.magic {
            let bytes = Array(image[offset..<tableStart])
            guard let info = try? ImageInfo(inspecting: bytes), info.chip.bootloaderOffset == offset else { continue }
            records += imageRecords(info, name: "bootloader", offset: offset)
        }
        for partition in layout.partitions where partition.entry.type == 0x00 && partition.range.lowerBound < image.count {
            let bytes = Array(image[partition.range.lowerBound..<min(image.count, partition.range.upperBound)])
            guard bytes.first == FirmwareImage.magic else { continue }
            do throws(FormatError) {
                records += imageRecords(try ImageInfo(inspecting: bytes), name: partition.name, offset: partition.range.lowerBound)
            } catch {
                records.append(Record(what: "\(partition.name) image", offset: partition.range.lowerBound, state: .invalid(error.message)))
            }
        }
        return FlashIntegrity(records: records)
    }

    static func imageRecords(_ info: ImageInfo, name: String, offset: Int) -> [Record] {
        let image = info.image
        let checksum: State = image.checksumIsValid ? .valid : .invalid("stored 0x\(hexAddress(Int(image.storedChecksum))), computed 0x\(hexAddress(Int(image.computedChecksum)))")
        let digest: State = switch image.digestIsValid {
        case nil: .absent
        case true?: .valid
        case false?: .invalid("the SHA-256 after the image does not match it")
        }
        return [Record(what: "\(name) checksum", offset: offset, state: checksum), Record(what: "\(name) SHA-256", offset: offset, state: digest)]
    }
}
