#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `[esptool]` section of an esptool configuration file, found as esptool 5 finds it (esp_pylib `ToolConfig`):
/// the file `ESPTOOL_CFGFILE` names (when it exists and has the section; otherwise the search goes on, as
/// esptool's permissive lookup does, with a warning here), then in the current folder, `~/.config/esptool/` and
/// the home folder, each of `esptool.cfg`, `setup.cfg`, `tox.ini` that has an `[esptool]` section.
///
/// The file is INI as Python's configparser reads it: `key = value` or `key: value`, keys case-insensitive,
/// `#` and `;` comment lines, indented lines continuing a value. esptool's own keys are read (timeouts, attempts,
/// reset sequences); this tool also reads `port`, `baud`, `chip`, `before` and `after`, which esptool ignores.
struct EsptoolConfigFile {
    struct Value {
        var text: String
        var line: Int
    }

    let path: String
    let values: [String: Value]
    /// Keys in the section this tool does not know (esptool warns about them too).
    let unknownKeys: [String]

    /// esptool's keys (`esptool/config.py: CONFIG_OPTIONS`) and this tool's additions.
    static let esptoolKeys = ["timeout", "chip_erase_timeout", "max_timeout", "sync_timeout", "md5_timeout_per_mb",
                              "erase_region_timeout_per_mb", "erase_write_timeout_per_mb", "mem_end_rom_timeout",
                              "serial_write_timeout", "connect_attempts", "write_block_attempts", "reset_delay",
                              "open_port_attempts", "custom_reset_sequence", "custom_hard_reset_sequence"]
    static let ownKeys = ["port", "baud", "chip", "before", "after"]
    static let fileNames = ["esptool.cfg", "setup.cfg", "tox.ini"]

    /// The file esptool would use, with warnings for files passed over; nil when there is none.
    static func find(environment: (String) -> String?, warn: (String) -> Void) -> EsptoolConfigFile? {
        if let named = environment("ESPTOOL_CFGFILE"), !named.isEmpty {
            if let text = readText(named) {
                if let file = parse(text, path: named) { return file }
                warn("ESPTOOL_CFGFILE: \(named) has no [esptool] section; looking for esptool.cfg instead")
            } else {
                warn("ESPTOOL_CFGFILE: cannot read \(named); looking for esptool.cfg instead")
            }
        }
        var folders = [currentDirectory()]
        if let home = environment("HOME"), !home.isEmpty { folders += [home + "/.config/esptool", home] }
        for folder in folders {
            for name in fileNames {
                let path = folder + "/" + name
                guard let text = readText(path) else { continue }
                if let file = parse(text, path: path) { return file }
            }
        }
        return nil
    }

    /// The `[esptool]` section of `text`; nil when it has none.
    static func parse(_ text: String, path: String) -> EsptoolConfigFile? {
        var section: String?
        var found = false
        var values: [String: Value] = [:]
        var lastKey: String?
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw[...]
            let trimmed = line.trimming(" \t")
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if line.first == " " || line.first == "\t", let key = lastKey, section == "esptool" {
                values[key]!.text += (values[key]!.text.isEmpty ? "" : "\n") + trimmed  // a continuation line
                continue
            }
            if trimmed.hasPrefix("["), trimmed.hasSuffix("]") {
                section = String(trimmed.dropFirst().dropLast())
                if section == "esptool" { found = true }
                lastKey = nil
                continue
            }
            guard section == "esptool" else { continue }
            let separator = trimmed.firstIndex { $0 == "=" || $0 == ":" }
            let key = (separator.map { trimmed[..<$0] } ?? trimmed[...]).trimming(" \t").lowercased()
            let value = separator.map { trimmed[trimmed.index(after: $0)...].trimming(" \t") } ?? ""
            values[key] = Value(text: value, line: index + 1)
            lastKey = key
        }
        guard found else { return nil }
        let known = Set(esptoolKeys + ownKeys)
        return EsptoolConfigFile(path: path, values: values, unknownKeys: values.keys.filter { !known.contains($0) }.sorted())
    }

    subscript(key: String) -> Value? { values[key] }

    /// `FILE:LINE` of a key, for errors about its value.
    func location(_ key: String) -> String { "\(path):\(values[key]?.line ?? 0)" }

    static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension StringProtocol {
    func trimming(_ set: String) -> String {
        var s = Substring(self)
        while let first = s.first, set.contains(first) { s.removeFirst() }
        while let last = s.last, set.contains(last) { s.removeLast() }
        return String(s)
    }
}
