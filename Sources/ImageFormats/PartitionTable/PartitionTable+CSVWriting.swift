/// Table → CSV text exactly as gen_esp32part's `to_csv` writes it: two header comments, then
/// `name,type,subtype,0xOFFSET,SIZE,flags` with keywords where one matches, sizes as `NM`/`NK`/`0x..`.
extension PartitionTable {
    public func csv(keywords: PartitionKeywords = .standard) -> String {
        var out = "# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n"
        for e in entries {
            let type = Int(e.type)
            out += e.name + ","
            out += (keywords.typeName(type) ?? String(type)) + ","
            out += (keywords.subtypeName(Int(e.subtype), type: type) ?? String(e.subtype)) + ","
            out += Int(e.offset).pythonHex + ","
            out += Self.sizeText(Int(e.size)) + ","
            out += e.flags.names.joined(separator: ":") + "\n"
        }
        return out
    }

    static func sizeText(_ size: Int) -> String {
        if size % 0x100000 == 0 { return "\(size / 0x100000)M" }
        if size % 0x400 == 0 { return "\(size / 0x400)K" }
        return size.pythonHex
    }
}
