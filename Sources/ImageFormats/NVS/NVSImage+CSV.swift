/// `nvs inspect --csv`: a generator CSV that `nvs generate` (or esp-idf-nvs-partition-gen 0.3.0) turns back into the
/// same image. Blobs become `hex2bin` rows, except Wi-Fi SSIDs and passwords, which become the `blob_sz_fill` /
/// `blob_fill` rows ESP-IDF's examples use: the generator derives `ap.pmk_info` from their text, so only the text
/// reproduces it. The entries the generator adds by itself (sta.apinfo, sta.pmk, sta.apsw, ap.pmk_info) are left
/// out so they are not written twice.
///
/// The export then generates its own CSV again and compares the result with the image: `regenerates` says whether
/// they are identical, and `notReproduced` names every entry that differs and why (a derived entry a device has
/// since changed, erased entries, a layout the generator would not produce…).
extension NVSImage {
    public struct CSVExport: Sendable {
        public var text: String
        public var warnings: [String]
        /// `--version` to pass to `generate`.
        public var formatVersion: Int
        /// Whether `nvs generate` of `text` at this image's size and version gives this image byte for byte.
        public var regenerates: Bool
        /// The image's entries (and pages) that regenerating `text` does not give back, each with the reason.
        public var notReproduced: [String]
    }

    public func csv() -> CSVExport {
        var writer = CSVWriter()
        let used = pages.filter { !$0.isBlank }.sorted { $0.sequence < $1.sequence }
        let version = used.first?.version ?? .v2
        let items = used.flatMap(\.items)
        let written = items.filter { $0.state == .written && $0.crcValid }
        if written.count != items.count {
            writer.warnings.append("\(items.count - written.count) erased or damaged entries are left out")
        }
        for (n, item) in written.enumerated() {
            writer.add(item, next: n + 1 < written.count ? written[n + 1] : nil, in: self, all: written)
        }
        let text = writer.lines.joined(separator: "\n") + "\n"
        let (regenerates, differences) = compareRegenerated(text, version: version, reasons: writer.reasons)
        return CSVExport(text: text, warnings: writer.warnings, formatVersion: version.number, regenerates: regenerates,
                         notReproduced: differences)
    }

    /// Generates `text` again and lists what differs from this image, entry by entry.
    func compareRegenerated(_ text: String, version: NVSFormat.Version, reasons: [Int: String]) -> (Bool, [String]) {
        let again: [UInt8]
        do throws(FormatError) {
            again = try NVSGenerator.generate(csv: Array(text.utf8), size: size, version: version) { path throws(FormatError) in
                throw FormatError("nvs.file", "no file rows expected (\(path))")
            }.image
        } catch {
            return (false, ["the exported CSV does not generate an image: \(error.message)"])
        }
        if again == plaintext { return (true, []) }
        guard again.count == plaintext.count, let other = try? NVSImage(again) else {
            return (false, ["the regenerated image is \(again.count) bytes, this one \(plaintext.count)"])
        }
        var theirs: [Int: Item] = [:]
        for item in other.pages.flatMap(\.items) { theirs[item.address] = item }
        let mine = pages.flatMap(\.items)
        var differences: [String] = []
        var reported: Set<Int> = []
        for changed in mine {
            if let twin = theirs[changed.address], twin.sameContent(as: changed) { continue }
            // A chunk is reported as its blob (the index entry with the same namespace and key).
            let item = changed.type == .blobData
                ? mine.last { $0.type == .blobIndex && $0.namespace == changed.namespace && $0.keyBytes == changed.keyBytes } ?? changed
                : changed
            guard reported.insert(item.address).inserted else { continue }
            let place = "page \(item.page) entry \(item.entry) '\(item.key)'"
            let why = reasons[item.address]
                ?? (item.state != .written ? "the entry is \(item.state.name), and a CSV only holds live entries"
                    : !item.crcValid ? "the entry is damaged (CRC mismatch)"
                    : "the generator would place or encode it differently (written by a device or another tool?)")
            differences.append("\(place): \(why)")
        }
        let pageDifferences = zip(pages, other.pages).filter { mine, theirs in
            Array(plaintext[mine.offset..<(mine.offset + 64)]) != Array(again[theirs.offset..<(theirs.offset + 64)])
        }
        if !pageDifferences.isEmpty {
            differences.append("page header or entry bitmap of page(s) \(pageDifferences.map { String($0.0.index) }.joined(separator: ", ")): "
                               + "the generator marks only its last page ACTIVE and writes no erased entries")
        }
        if differences.isEmpty { differences.append("the bytes differ outside the entries (erased or partly written data)") }
        return (false, differences)
    }
}

extension NVSImage.Item {
    /// Same namespace, type, key, data and payload (the CRCs follow from them).
    func sameContent(as other: NVSImage.Item) -> Bool {
        state == other.state && namespace == other.namespace && typeRaw == other.typeRaw && span == other.span
            && chunkIndex == other.chunkIndex && keyBytes == other.keyBytes && data == other.data && payload == other.payload
    }
}

/// Builds the CSV rows of an image's live entries, in order.
private struct CSVWriter {
    var lines = ["key,type,encoding,value"]
    var warnings: [String] = []
    /// Why an entry (by address) will not come back when the CSV is generated.
    var reasons: [Int: String] = [:]
    private var declared = 0
    private var stationExtrasPending = false
    private var skipNext: [String] = []
    /// The ap.* values as the generator will see them in the CSV (its PMK input).
    private var accessPointText: [String: String] = [:]
    private var pendingPMK: NVSImage.Item?

    mutating func add(_ item: NVSImage.Item, next: NVSImage.Item?, in image: NVSImage, all written: [NVSImage.Item]) {
        let key = item.key
        if item.type == .blobData { return }  // emitted with their BLOB_IDX
        if let expected = skipNext.first, key == expected {
            skipNext.removeFirst()
            checkStationExtra(item, image: image, all: written)
            return
        }
        skipNext = []
        if key == NVSWiFiEntries.pmkInfoKey, let next, NVSWiFiEntries.accessPointKeys.contains(next.key) {
            // The generator derives it again from the ap.* rows, the next one included: checked after that row.
            pendingPMK = item
            return
        }
        defer {
            if let pmk = pendingPMK {
                checkPMK(pmk, image: image, all: written)
                pendingPMK = nil
            }
        }
        guard let type = item.type else {
            warnings.append("page \(item.page) entry \(item.entry): unknown type 0x\(String(item.typeRaw, radix: 16)) left out")
            reasons[item.address] = "type 0x\(String(item.typeRaw, radix: 16)) has no CSV encoding"
            return
        }
        if item.namespace == 0 && type == .u8 {
            declared += 1
            if Int(item.data[0]) != declared {
                warnings.append("namespace '\(key)' has index \(item.data[0]) but would get \(declared) when generated")
            }
            lines.append("\(Self.field(key)),namespace,,")
            return
        }
        if Int(item.namespace) != declared {
            warnings.append("'\(key)' in namespace \(item.namespace) follows namespace \(declared); the generator cannot place it there")
        }
        guard let (encoding, value) = row(for: item, type: type, image: image, all: written) else { return }
        lines.append("\(Self.field(key)),data,\(encoding),\(value)")
        if NVSWiFiEntries.accessPointKeys.contains(key) { accessPointText[key] = Self.generatorText(encoding, value) }
        if NVSWiFiEntries.stationKeys.contains(key) && !stationExtrasPending {
            stationExtrasPending = true
            skipNext = NVSWiFiEntries.stationExtras.map(\.key)
        }
    }

    /// The encoding and CSV value of one data entry; nil (with a warning) when it has none.
    private mutating func row(for item: NVSImage.Item, type: NVSFormat.ItemType, image: NVSImage,
                              all written: [NVSImage.Item]) -> (String, String)? {
        let key = item.key
        switch type {
        case _ where type.isInteger:
            return (type.name, item.integerValue!)
        case .string:
            guard var payload = item.payload else { return nil }
            if payload.last == 0 { payload.removeLast() } else { warnings.append("string '\(key)' has no NUL terminator") }
            if payload.contains(0) || payload.contains(13) || String(validating: payload, as: UTF8.self) == nil {
                warnings.append("string '\(key)' holds bytes a CSV string cannot reproduce")
                reasons[item.address] = "the string holds bytes (NUL, CR or invalid UTF-8) a CSV string cannot carry"
            }
            return ("string", Self.field(String(decoding: payload, as: UTF8.self), force: true))
        case .blobV1:
            guard let payload = item.payload else { return nil }
            return blobRow(key: key, payload)
        case .blobIndex:
            guard let data = image.assembleBlob(index: item, from: written) else {
                warnings.append("blob '\(key)': chunks are missing or damaged; left out")
                reasons[item.address] = "its chunks are missing or damaged"
                return nil
            }
            return blobRow(key: key, data)
        default:
            warnings.append("'\(key)': \(type.name) items have no CSV encoding; left out")
            reasons[item.address] = "\(type.name) items have no CSV encoding"
            return nil
        }
    }

    private func blobRow(key: String, _ data: [UInt8]) -> (String, String) {
        let wifiText = NVSWiFiEntries.stationKeys.contains(key) || ["ap.ssid", "ap.passwd"].contains(key)
        if wifiText, let fill = NVSWiFiEntries.fillRow(for: data) { return (fill.encoding, Self.field(fill.text, force: true)) }
        return ("hex2bin", data.hexString)
    }

    /// sta.apinfo / sta.pmk / sta.apsw: left out; a device may have changed them since, which the CSV cannot carry.
    private mutating func checkStationExtra(_ item: NVSImage.Item, image: NVSImage, all written: [NVSImage.Item]) {
        guard let expected = NVSWiFiEntries.stationExtras.first(where: { $0.key == item.key })?.data else { return }
        let data = item.type == .blobIndex ? image.assembleBlob(index: item, from: written) : item.payload
        if data != expected {
            reasons[item.address] = "derived entry: the generator always writes its own \(item.key) after sta.ssid/sta.pswd "
                + "(\(expected.count) bytes of \(expected[0] == 0xFF ? "FF" : "00")); this image holds another value"
        }
    }

    /// ap.pmk_info: left out, as the generator derives it from ap.ssid and ap.passwd; say so if the exported text
    /// does not derive this image's value.
    private mutating func checkPMK(_ item: NVSImage.Item, image: NVSImage, all written: [NVSImage.Item]) {
        let data = item.type == .blobIndex ? image.assembleBlob(index: item, from: written) : item.payload
        guard let ssid = accessPointText["ap.ssid"], let password = accessPointText["ap.passwd"] else {
            reasons[item.address] = "derived entry: the generator writes ap.pmk_info only from ap.ssid and ap.passwd rows that come before it"
            return
        }
        if data != NVSWiFiEntries.pmkInfo(ssid: ssid, password: password) {
            reasons[item.address] = "derived entry: the generator computes ap.pmk_info as PBKDF2 of ap.passwd and ap.ssid as the CSV "
                + "writes them; this image's PMK was not derived from the exported values"
        }
    }

    /// The value the generator's Wi-Fi logic sees: the CSV text of the row (unquoted). By code point, as Python
    /// reads it: a quote that a combining mark follows is one Swift Character, and would not match `"`.
    static func generatorText(_ encoding: String, _ value: String) -> String {
        let scalars = value.unicodeScalars
        guard scalars.count >= 2, scalars.first == "\"", scalars.last == "\"" else { return value }
        var out = String.UnicodeScalarView()
        var previousWasQuote = false
        for scalar in scalars.dropFirst().dropLast(1) {
            // `""` inside the quotes is one `"`.
            if scalar == "\"" && previousWasQuote {
                previousWasQuote = false
                continue
            }
            previousWasQuote = scalar == "\""
            out.append(scalar)
        }
        return String(out)
    }

    /// A CSV field; keys starting with `#` are quoted so the generator does not take the line for a comment. By
    /// code point (see `generatorText`).
    static func field(_ text: String, force: Bool = false) -> String {
        let scalars = text.unicodeScalars
        if scalars.first == "#" || (force && (scalars.first == " " || scalars.last == " ")) {
            return "\"" + text.doublingQuotes() + "\""
        }
        return PythonCSV.quoted(text)
    }
}

extension NVSImage {
    /// The data of a blob: its chunks chunkStart..<chunkStart+count with the same namespace and key, in order. Of
    /// several such chunks (a key written twice) the one nearest before the index counts: chunks are written first.
    func assembleBlob(index: Item, from items: [Item]) -> [UInt8]? {
        let total = index.sizeField
        let count = Int(index.data[4]), start = Int(index.data[5])
        let position = items.firstIndex { $0.address == index.address } ?? items.endIndex
        var out: [UInt8] = []
        for chunk in start..<(start + count) {
            let matches = { (item: Item) in
                item.type == .blobData && item.namespace == index.namespace && item.keyBytes == index.keyBytes && Int(item.chunkIndex) == chunk
            }
            guard let part = (items[..<position].last(where: matches) ?? items[position...].first(where: matches))?.payload else { return nil }
            out += part
        }
        return out.count == total ? out : nil
    }
}
