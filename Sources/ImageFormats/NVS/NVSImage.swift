/// A parsed NVS partition image, as written by the generator or by a device (erased, ACTIVE, FULL pages,
/// erased or half-written entries). Parsing never fails on content: every inconsistency (bad CRC, impossible
/// span, data in an entry marked empty) is recorded as a problem on its page or item.
public struct NVSImage: Sendable {
    public struct Page: Sendable {
        public var index: Int
        public var offset: Int
        public var stateRaw: UInt32
        public var sequence: UInt32
        public var versionRaw: UInt8
        public var headerCRCValid: Bool
        /// The whole page is FF (never initialised).
        public var isBlank: Bool
        public var items: [Item] = []
        public var problems: [String] = []

        public var state: NVSFormat.PageState? { NVSFormat.PageState(rawValue: stateRaw) }
        public var stateName: String { state?.name ?? "UNKNOWN(0x\(String(stateRaw, radix: 16)))" }
        public var version: NVSFormat.Version? { NVSFormat.Version(rawValue: versionRaw) }
    }

    public struct Item: Sendable {
        public var page: Int
        public var entry: Int
        /// Byte offset in the partition.
        public var address: Int
        public var state: NVSFormat.EntryState
        public var namespace: UInt8
        public var typeRaw: UInt8
        public var span: Int
        public var chunkIndex: UInt8
        public var keyBytes: [UInt8]
        public var crcValid: Bool
        /// The 8-byte data field.
        public var data: [UInt8]
        /// Payload of strings and blob chunks (`size` bytes from the following entries).
        public var payload: [UInt8]?
        public var payloadCRCValid: Bool?
        public var problems: [String] = []

        public var type: NVSFormat.ItemType? { NVSFormat.ItemType(rawValue: typeRaw) }
        public var key: String { String(decoding: keyBytes, as: UTF8.self) }
        public var typeName: String { type?.name ?? "type 0x\(String(typeRaw, radix: 16))" }

        /// Integer value (sign-extended for signed types) of an integer item.
        public var integerValue: String? {
            guard let type, type.isInteger else { return nil }
            var bits: UInt64 = 0
            for i in 0..<type.width { bits |= UInt64(data[i]) << (8 * UInt64(i)) }
            if type.isSigned {
                let shift = UInt64(64 - type.width * 8)
                return String(Int64(bitPattern: bits << shift) >> Int64(shift))
            }
            return String(bits)
        }

        /// Size field of strings, blob chunks (u16) and blob indexes (u32).
        public var sizeField: Int {
            if type == .blobIndex { return Int(data[0]) | Int(data[1]) << 8 | Int(data[2]) << 16 | Int(data[3]) << 24 }
            return Int(data[0]) | Int(data[1]) << 8
        }
    }

    public var pages: [Page]
    /// The image as parsed (decrypted when read with keys).
    public let plaintext: [UInt8]
    public var size: Int { pages.count * NVSFormat.pageSize }

    /// Parses `bytes` (a whole number of pages). With `keys` the entries are decrypted first.
    public init(_ bytes: [UInt8], keys: NVSKeys? = nil) throws(FormatError) {
        guard !bytes.isEmpty, bytes.count % NVSFormat.pageSize == 0 else {
            throw FormatError("nvs.size", "the image is \(bytes.count) bytes, not a whole number of 4096-byte pages")
        }
        let plain = keys.map { NVSEncryption.decrypt(bytes, keys: $0) } ?? bytes
        plaintext = plain
        pages = stride(from: 0, to: plain.count, by: NVSFormat.pageSize).map { Self.parsePage(plain, offset: $0) }
    }

    /// Namespace names by index, from the written U8 entries of namespace 0.
    public var namespaces: [UInt8: String] {
        var out: [UInt8: String] = [:]
        for page in pages {
            for item in page.items where item.state == .written && item.namespace == 0 && item.type == .u8 && item.crcValid {
                out[item.data[0]] = item.key
            }
        }
        return out
    }

    /// Every problem found, with its place.
    public var problems: [String] {
        pages.flatMap { page in
            page.problems.map { "page \(page.index): \($0)" }
                + page.items.flatMap { item in item.problems.map { "page \(page.index) entry \(item.entry) '\(item.key)': \($0)" } }
        }
    }

    static func parsePage(_ bytes: [UInt8], offset: Int) -> Page {
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) } }
        let pageBytes = bytes[offset..<(offset + NVSFormat.pageSize)]
        let blank = NVSFormat.isErased(pageBytes)
        let headerBlank = NVSFormat.isErased(bytes[(offset + 4)..<(offset + 32)])
        var page = Page(index: offset / NVSFormat.pageSize, offset: offset, stateRaw: u32(offset), sequence: u32(offset + 4),
                        versionRaw: bytes[offset + 8],
                        headerCRCValid: headerBlank || NVSChecksum.checksum(bytes[(offset + 4)..<(offset + 28)]) == u32(offset + 28),
                        isBlank: blank)
        guard !blank else { return page }
        if headerBlank {
            page.problems.append("the header is blank but the page holds data (the device marks it corrupt)")
        } else if !page.headerCRCValid {
            page.problems.append("header CRC mismatch (the device marks the page corrupt)")
        }
        if page.state == nil { page.problems.append("unknown page state 0x\(String(page.stateRaw, radix: 16))") }
        if page.version == nil && !headerBlank { page.problems.append("unknown format version 0x\(String(page.versionRaw, radix: 16))") }

        var i = 0
        while i < NVSFormat.entriesPerPage {
            let bit = i * 2
            let state = NVSFormat.EntryState(rawValue: (bytes[offset + NVSFormat.bitmapOffset + bit / 8] >> UInt8(bit % 8)) & 3)!
            let start = offset + NVSFormat.firstEntryOffset + i * NVSFormat.entrySize
            let entry = bytes[start..<(start + NVSFormat.entrySize)]
            if state == .empty {
                if !NVSFormat.isErased(entry) {
                    page.problems.append("entry \(i) is marked empty but holds data (a partially written item)")
                }
                i += 1
                continue
            }
            var item = parseItem(bytes, page: page.index, entry: i, start: start, state: state)
            let advance = item.crcValid && item.span >= 1 && i + item.span <= NVSFormat.entriesPerPage ? item.span : 1
            if item.crcValid, let type = item.type, type.isVariableLength {
                if item.span < 1 || i + item.span > NVSFormat.entriesPerPage {
                    item.problems.append("span \(item.span) does not fit in the page")
                } else {
                    let size = item.sizeField
                    let available = (item.span - 1) * NVSFormat.entrySize
                    if size > available {
                        item.problems.append("size \(size) is larger than its \(item.span - 1) data entries")
                    } else {
                        let payload = Array(bytes[(start + 32)..<(start + 32 + size)])
                        item.payload = payload
                        let stored = (0..<4).reduce(UInt32(0)) { $0 | UInt32(item.data[4 + $1]) << (8 * UInt32($1)) }
                        item.payloadCRCValid = NVSChecksum.checksum(payload) == stored
                        if item.payloadCRCValid == false { item.problems.append("data CRC mismatch") }
                    }
                }
            }
            if !item.crcValid { item.problems.append("entry CRC mismatch") }
            if state == .illegal { item.problems.append("illegal entry state 0b01") }
            page.items.append(item)
            i += advance
        }
        return page
    }

    static func parseItem(_ bytes: [UInt8], page: Int, entry: Int, start: Int, state: NVSFormat.EntryState) -> Item {
        let e = bytes[start..<(start + 32)]
        let storedCRC = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[start + 4 + $1]) << (8 * UInt32($1)) }
        let keyField = bytes[(start + 8)..<(start + 24)]
        let keyBytes = Array(keyField.prefix { $0 != 0 })
        return Item(page: page, entry: entry, address: start, state: state, namespace: bytes[start], typeRaw: bytes[start + 1],
                    span: Int(bytes[start + 2]), chunkIndex: bytes[start + 3], keyBytes: keyBytes,
                    crcValid: NVSChecksum.entry(e) == storedCRC, data: Array(bytes[(start + 24)..<(start + 32)]))
    }
}
