/// Lays out NVS items into pages exactly as esp-idf-nvs-partition-gen 0.3.0 does (`Page`/`NVS` classes):
/// the same page breaks, the same off-by-one limits, the same ACTIVE/FULL states and all-FF unused pages
/// (idf-formats.md §2.10–2.11). Produces plaintext; encryption is applied afterwards by `NVSEncryption`.
public struct NVSImageBuilder: Sendable {
    /// Why an item could not be placed. The generator turns these into located `FormatError`s.
    public enum PlacementError: Error, Sendable, Equatable {
        /// The item needs more entries than one page has (0.3.0 crashes with `PageFullError`).
        case doesNotFitInPage(entries: Int)
        /// The partition has no page left (0.3.0: `InsufficientSizeError`).
        case partitionFull
    }

    public let version: NVSFormat.Version
    public let size: Int
    /// A partition below 0x3000 can only be read-only: no reserved page and no padding (0.3.0 `check_size`).
    public let isReadOnly: Bool
    public private(set) var image: [UInt8] = []
    public private(set) var pageIndex = -1
    public private(set) var entryIndex = 0
    /// Bytes of pages the generator may still start (its `NVS.size`).
    private var available: Int

    /// Checks SIZE as `check_size` does, then starts page 0.
    public init(size: Int, version: NVSFormat.Version = .v2) throws(FormatError) {
        guard size % NVSFormat.pageSize == 0 else {
            throw FormatError("nvs.size", "partition size 0x\(String(size, radix: 16)) is not a multiple of 4096",
                              help: "NVS partitions are made of 4 KiB flash pages")
        }
        guard size >= NVSFormat.pageSize else {
            throw FormatError("nvs.size", "partition size \(size) is too small",
                              help: "read/write NVS needs at least 0x3000 bytes, read-only NVS 0x1000")
        }
        guard size <= InputLimits.flashSize else {
            throw FormatError("nvs.size", "partition size 0x\(String(size, radix: 16)) is beyond the largest flash (\(InputLimits.describe(InputLimits.flashSize)))",
                              help: "check the number: NVS partitions are usually a few pages")
        }
        self.size = size
        self.version = version
        isReadOnly = size < NVSFormat.minimumReadWriteSize
        available = isReadOnly ? size : size - NVSFormat.pageSize
        image.reserveCapacity(size)
        do { try startPage() } catch { preconditionFailure("a partition of at least one page has room for page 0") }
    }

    /// Byte offset of the current page.
    var pageBase: Int { pageIndex * NVSFormat.pageSize }

    /// `NVS.create_new_page`: marks the current page FULL, then appends an ACTIVE page whose seq is its index.
    public mutating func startPage() throws(PlacementError) {
        if pageIndex >= 0, readUInt32(at: pageBase) == NVSFormat.PageState.active.rawValue {
            writeUInt32(NVSFormat.PageState.full.rawValue, at: pageBase)
        }
        guard available > 0 else { throw .partitionFull }
        available -= NVSFormat.pageSize
        pageIndex += 1
        entryIndex = 0
        var header = [UInt8](repeating: 0xFF, count: NVSFormat.pageSize)
        header.storeUInt32(NVSFormat.PageState.active.rawValue, at: 0)
        header.storeUInt32(UInt32(pageIndex), at: 4)
        header[8] = version.rawValue
        header.storeUInt32(NVSChecksum.checksum(header[4..<28]), at: 28)
        image.append(contentsOf: header)
    }

    /// Pads the image as `NVS.__exit__` does: read/write images get all-FF pages up to SIZE (the last one is
    /// the reserved page); read-only images end after the last used page.
    public func finished() -> [UInt8] {
        guard !isReadOnly else { return image }
        var out = image
        out.append(contentsOf: repeatElement(0xFF, count: size - image.count))
        return out
    }

    /// `finished()` for a builder that is not needed any more: pads its own buffer instead of copying it.
    public consuming func finishedImage() -> [UInt8] {
        var out: [UInt8] = []
        swap(&out, &image)
        if !isReadOnly { out.append(contentsOf: repeatElement(0xFF, count: size - out.count)) }
        return out
    }

    /// A primitive (integer or namespace) entry. Entry 125 may be used (`s05`).
    public mutating func addPrimitive(namespace: UInt8, type: NVSFormat.ItemType, key: [UInt8], value: UInt64) throws(PlacementError) {
        if entryIndex >= NVSFormat.entriesPerPage { try startPage() }
        // The value's `width` bytes, the rest of the 8-byte data field stays FF.
        let mask: UInt64 = type.width >= 8 ? ~0 : (UInt64(1) << (8 * UInt64(type.width))) - 1
        putHeader(namespace: namespace, type: type, span: 1, chunk: NVSFormat.chunkAny, key: key, data: (value & mask) | ~mask)
    }

    /// A string (`SZ`) or, in format v1, a single-page blob. The generator's test is `entry + span >= 126`,
    /// so an item that would exactly fill the page moves to the next one (`s03`), and one that needs the
    /// whole page never fits (`s02`).
    public mutating func addSinglePage(namespace: UInt8, type: NVSFormat.ItemType, key: [UInt8], data: [UInt8]) throws(PlacementError) {
        let dataEntries = (data.count + 31) / 32
        let span = dataEntries + 1
        if entryIndex >= NVSFormat.entriesPerPage || entryIndex + span >= NVSFormat.entriesPerPage {
            try startPage()
            guard span < NVSFormat.entriesPerPage else { throw .doesNotFitInPage(entries: span) }
        }
        putHeader(namespace: namespace, type: type, span: UInt8(span), chunk: NVSFormat.chunkAny, key: key,
                  data: Self.variableLengthData(size: data.count, crc: NVSChecksum.checksum(data)))
        putPayload(data[...], entries: dataEntries)
    }

    /// A format-v2 blob: BLOB_DATA chunks filling each page up to its last entry, then the BLOB_IDX
    /// (`write_varlen_binary_data`). A blob starting at entry 125 gets a zero-length chunk 0 (`s04`).
    public mutating func addMultiPageBlob(namespace: UInt8, key: [UInt8], data: [UInt8]) throws(PlacementError) {
        if entryIndex >= NVSFormat.entriesPerPage { try startPage() }
        var offset = 0
        var remaining = data.count
        var chunkCount = 0
        while true {
            let tailroom = (NVSFormat.entriesPerPage - entryIndex - 1) * NVSFormat.entrySize
            let chunkSize = min(tailroom, remaining)
            remaining -= chunkSize
            let chunk = data[offset..<(offset + chunkSize)]
            let dataEntries = (chunkSize + 31) / 32
            guard chunkCount <= 0xFF else { throw .partitionFull }
            putHeader(namespace: namespace, type: .blobData, span: UInt8(dataEntries + 1), chunk: UInt8(chunkCount), key: key,
                      data: Self.variableLengthData(size: chunkSize, crc: NVSChecksum.checksum(chunk)))
            putPayload(chunk, entries: dataEntries)
            chunkCount += 1
            if remaining > 0 || tailroom - chunkSize < NVSFormat.entrySize { try startPage() }
            offset += chunkSize
            if remaining == 0 { break }
        }
        // BLOB_IDX data field: total size (u32), chunk count, chunk start 0, two FF bytes.
        let indexData = UInt64(UInt32(data.count)) | UInt64(UInt8(chunkCount)) << 32 | 0xFFFF << 48
        putHeader(namespace: namespace, type: .blobIndex, span: 1, chunk: NVSFormat.chunkAny, key: key, data: indexData)
    }

    // MARK: - Entry bytes

    /// Data field of a string, v1 blob or blob chunk: size (u16), two FF bytes, CRC32 of the payload.
    static func variableLengthData(size: Int, crc: UInt32) -> UInt64 {
        UInt64(UInt16(size)) | 0xFFFF << 16 | UInt64(crc) << 32
    }

    /// Writes the next free entry, in place: ns, type, span, chunk, CRC32 (of bytes 0..<4 and 8..<32), key (16
    /// bytes, NUL padded) and `data` as the little-endian 8-byte data field; then marks it WRITTEN.
    private mutating func putHeader(namespace: UInt8, type: NVSFormat.ItemType, span: UInt8, chunk: UInt8, key: [UInt8], data: UInt64) {
        let start = pageBase + NVSFormat.firstEntryOffset + entryIndex * NVSFormat.entrySize
        image.withUnsafeMutableBufferPointer { image in
            let entry = UnsafeMutableBufferPointer(rebasing: image[start..<(start + NVSFormat.entrySize)])
            entry[0] = namespace
            entry[1] = type.rawValue
            entry[2] = span
            entry[3] = chunk
            for i in 0..<NVSFormat.keyFieldSize { entry[8 + i] = i < key.count ? key[i] : 0 }
            for i in 0..<8 { entry[24 + i] = UInt8(truncatingIfNeeded: data >> (8 * UInt64(i))) }
            let crc = NVSChecksum.checksum(UnsafeBufferPointer(rebasing: entry[8..<32]),
                                           seed: NVSChecksum.checksum(UnsafeBufferPointer(rebasing: entry[0..<4])))
            for i in 0..<4 { entry[4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        }
        markWritten(count: 1)
    }

    /// Copies `bytes` into the next `count` entries (the page is FF already, so short data stays FF-padded)
    /// and marks each of them WRITTEN in the bitmap.
    private mutating func putPayload(_ bytes: ArraySlice<UInt8>, entries count: Int) {
        let start = pageBase + NVSFormat.firstEntryOffset + entryIndex * NVSFormat.entrySize
        image.withUnsafeMutableBufferPointer { image in
            bytes.withUnsafeBufferPointer { source in
                guard let from = source.baseAddress else { return }
                (image.baseAddress! + start).update(from: from, count: source.count)
            }
        }
        markWritten(count: count)
    }

    private mutating func markWritten(count: Int) {
        for _ in 0..<count {
            let bit = entryIndex * 2
            image[pageBase + NVSFormat.bitmapOffset + bit / 8] &= ~(UInt8(1) << UInt8(bit % 8))
            entryIndex += 1
        }
    }

    private func readUInt32(at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(image[offset + $1]) << (8 * UInt32($1)) }
    }

    private mutating func writeUInt32(_ value: UInt32, at offset: Int) { image.storeUInt32(value, at: offset) }
}

extension Array where Element == UInt8 {
    mutating func storeUInt16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    mutating func storeUInt32(_ value: UInt32, at offset: Int) {
        for i in 0..<4 { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }
}
