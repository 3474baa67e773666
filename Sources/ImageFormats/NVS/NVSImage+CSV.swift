/// `nvs inspect --csv`: a generator CSV that `nvs generate` (or esp-idf-nvs-partition-gen 0.3.0) turns back into the
/// same image, for images the generator made. Blobs become `hex2bin` rows; the hidden Wi-Fi entries the generator
/// adds by itself are left out so they are not written twice. Where an image cannot be reproduced from a CSV
/// (device-written layouts, erased entries, strings without their NUL…) a warning says so.
extension NVSImage {
    public struct CSVExport: Sendable {
        public var text: String
        public var warnings: [String]
        /// `--version` to pass to `generate`.
        public var formatVersion: Int
    }

    public func csv() -> CSVExport {
        var lines = ["key,type,encoding,value"]
        var warnings: [String] = []
        let used = pages.filter { !$0.isBlank }.sorted { $0.sequence < $1.sequence }
        let version = used.first?.version ?? .v2
        let items = used.flatMap(\.items)
        let written = items.filter { $0.state == .written && $0.crcValid }
        if written.count != items.count {
            warnings.append("\(items.count - written.count) erased or damaged entries are left out")
        }

        var declared = 0
        var staExtrasPending = false
        var skipNext: [String] = []
        for (n, item) in written.enumerated() {
            let key = item.key
            if item.type == .blobData { continue }  // emitted with their BLOB_IDX
            if let expected = skipNext.first, key == expected {
                skipNext.removeFirst()
                continue
            }
            skipNext = []
            if key == "ap.pmk_info", n + 1 < written.count, ["ap.ssid", "ap.passwd", "ap.authmode"].contains(written[n + 1].key) {
                continue  // the generator derives it again from the ap.* rows
            }
            guard let type = item.type else {
                warnings.append("page \(item.page) entry \(item.entry): unknown type 0x\(String(item.typeRaw, radix: 16)) left out")
                continue
            }
            if item.namespace == 0 && type == .u8 {
                declared += 1
                if Int(item.data[0]) != declared {
                    warnings.append("namespace '\(key)' has index \(item.data[0]) but would get \(declared) when generated")
                }
                lines.append("\(Self.field(key)),namespace,,")
                continue
            }
            if Int(item.namespace) != declared {
                warnings.append("'\(key)' in namespace \(item.namespace) follows namespace \(declared); the generator cannot place it there")
            }
            let row: String
            switch type {
            case _ where type.isInteger:
                row = "\(Self.field(key)),data,\(type.name),\(item.integerValue!)"
            case .string:
                guard var payload = item.payload else { continue }
                if payload.last == 0 { payload.removeLast() } else { warnings.append("string '\(key)' has no NUL terminator") }
                if payload.contains(0) || payload.contains(13) || String(validating: payload, as: UTF8.self) == nil {
                    warnings.append("string '\(key)' holds bytes a CSV string cannot reproduce")
                }
                row = "\(Self.field(key)),data,string,\(Self.field(String(decoding: payload, as: UTF8.self), force: true))"
            case .blobV1:
                guard let payload = item.payload else { continue }
                row = "\(Self.field(key)),data,hex2bin,\(Self.hex(payload))"
            case .blobIndex:
                guard let data = assembleBlob(index: item, from: written) else {
                    warnings.append("blob '\(key)': chunks are missing or damaged; left out")
                    continue
                }
                row = "\(Self.field(key)),data,hex2bin,\(Self.hex(data))"
            default:
                warnings.append("'\(key)': \(type.name) items have no CSV encoding; left out")
                continue
            }
            lines.append(row)
            if (key == "sta.ssid" || key == "sta.pswd") && !staExtrasPending {
                staExtrasPending = true
                skipNext = ["sta.apinfo", "sta.pmk", "sta.apsw"]
            }
        }
        return CSVExport(text: lines.joined(separator: "\n") + "\n", warnings: warnings, formatVersion: version.number)
    }

    /// The data of a blob: its chunks chunkStart..<chunkStart+count with the same namespace and key, in order.
    func assembleBlob(index: Item, from items: [Item]) -> [UInt8]? {
        let total = index.sizeField
        let count = Int(index.data[4]), start = Int(index.data[5])
        var out: [UInt8] = []
        for chunk in start..<(start + count) {
            guard let part = items.last(where: {
                $0.type == .blobData && $0.namespace == index.namespace && $0.keyBytes == index.keyBytes && Int($0.chunkIndex) == chunk
            })?.payload else { return nil }
            out += part
        }
        return out.count == total ? out : nil
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A CSV field; keys starting with `#` are quoted so the generator does not take the line for a comment.
    static func field(_ text: String, force: Bool = false) -> String {
        if text.hasPrefix("#") || (force && text.isEmpty == false && (text.first == " " || text.last == " ")) {
            return "\"" + text.replacing("\"", with: "\"\"") + "\""
        }
        return PythonCSV.quoted(text)
    }
}
