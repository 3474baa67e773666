/// A PKI bin of the AT firmware (server_cert, client_key, mqtt_ca … partitions, esp-at v1.0 – v3.0), the format
/// of `tools/AtPKI.py generate_bin`: magic F1 F1, item count, total length, then items of
/// type / id / length / raw file bytes / 0xFF padding to 4 bytes. Layout: shared/reference/esp-at.md §4.
public struct PKIBundle: Sendable, Equatable {
    /// The item type byte (AtPKI.py `PKIItem.TYPE`).
    public struct Kind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let ca = Kind(rawValue: 0x01)
        public static let cert = Kind(rawValue: 0x02)
        public static let key = Kind(rawValue: 0x03)

        /// The command-line word (`ca`, `cert`, `key`).
        public init?(word: String) {
            switch word {
            case "ca": self = .ca
            case "cert": self = .cert
            case "key": self = .key
            default: return nil
            }
        }

        public var word: String? {
            switch self {
            case .ca: "ca"
            case .cert: "cert"
            case .key: "key"
            default: nil
            }
        }

        public var description: String { word ?? "0x" + String(rawValue, radix: 16) }
    }

    public struct Item: Sendable, Equatable {
        public var kind: Kind
        /// Counts from 0 within each kind; pairs `cert N` with `key N`.
        public var id: UInt8
        /// The file bytes, verbatim (PEM text with its final newline, or DER); no terminator is added.
        public var content: [UInt8]
        /// Offset of the item header in the bin (0 for items not read from a bin).
        public var offset: Int

        public init(kind: Kind, id: UInt8, content: [UInt8], offset: Int = 0) {
            self.kind = kind
            self.id = id
            self.content = content
            self.offset = offset
        }
    }

    public var items: [Item]

    public init(items: [Item]) { self.items = items }

    public static let magic: UInt16 = 0xF1F1
    /// The content length field is 16 bits (AtPKI.py silently truncates longer contents).
    public static let maximumContentLength = Int(UInt16.max)
    static let headerSize = 8

    /// Orders `inputs` as AtPKI.py (Python 3) does: grouped by kind in order of first appearance, ids counting
    /// from 0 within each kind in input order. `source` names each input in errors (a file path).
    public static func assemble(_ inputs: [(kind: Kind, content: [UInt8], source: String)]) throws(FormatError) -> PKIBundle {
        guard !inputs.isEmpty else { throw FormatError(.pkiEmpty, "no items", help: "give at least one TYPE FILE pair") }
        var kindsInOrder: [Kind] = []
        var grouped: [Kind: [(content: [UInt8], source: String)]] = [:]
        for input in inputs {
            guard input.content.count <= maximumContentLength else {
                throw FormatError(.pkiTooLarge, "\(input.source) is \(input.content.count) bytes; an item holds at most 65535",
                                  at: SourceLocation(field: input.source), help: "AtPKI.py would silently write a wrong length here")
            }
            if grouped[input.kind] == nil { kindsInOrder.append(input.kind) }
            grouped[input.kind, default: []].append((input.content, input.source))
        }
        var items: [Item] = []
        for kind in kindsInOrder {
            let group = grouped[kind]!
            guard group.count <= 256 else {
                throw FormatError(.pkiTooMany, "\(group.count) items of type \(kind); ids are 8 bits, so at most 256",
                                  at: SourceLocation(field: group[256].source))
            }
            for (n, entry) in group.enumerated() { items.append(Item(kind: kind, id: UInt8(n), content: entry.content)) }
        }
        return PKIBundle(items: items)
    }

    /// The bin bytes. Fails if an item or the item count does not fit its field.
    public func encoded() throws(FormatError) -> [UInt8] {
        guard items.count <= Int(UInt16.max) else { throw FormatError(.pkiTooMany, "\(items.count) items; the count field holds 65535") }
        var body = ByteWriter()
        for item in items {
            guard item.content.count <= Self.maximumContentLength else {
                throw FormatError(.pkiTooLarge, "item \(item.kind) \(item.id) is \(item.content.count) bytes; an item holds at most 65535")
            }
            body.write(item.kind.rawValue)
            body.write(item.id)
            body.writeUInt16LE(UInt16(item.content.count))
            body.write(contentsOf: item.content)
            body.write(contentsOf: repeatElement(UInt8(0xFF), count: Self.padding(item.content.count)))
        }
        var writer = ByteWriter(capacity: body.bytes.count + Self.headerSize)
        writer.writeUInt16LE(Self.magic)
        writer.writeUInt16LE(UInt16(items.count))
        writer.writeUInt32LE(UInt32(body.bytes.count))
        writer.write(contentsOf: body.bytes)
        return writer.bytes
    }

    static func padding(_ length: Int) -> Int { (4 - length % 4) % 4 }
}

extension FormatError.Code {
    static let pkiEmpty: FormatError.Code = "pki.empty"
    static let pkiTooLarge: FormatError.Code = "pki.too_large"
    static let pkiTooMany: FormatError.Code = "pki.too_many"
    static let pkiBadBinary: FormatError.Code = "pki.bad_binary"
}
