
/// A file that lists what to flash where, read for `merge-bin --config`:
/// - esp-at `download.config` (one line: flash options then `ADDR FILE` pairs; reference/esp-at.md §6.1),
/// - ESP-IDF `flash_project_args` / `flash_args` (options on the first line, one pair per line),
/// - ESP-IDF `flasher_args.json` (`flash_files`, `flash_settings`, `write_flash_args`, `extra_esptool_args.chip`).
/// Paths are kept as written; the caller resolves them against the file's folder.
public struct FlashConfigFile: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var address: Int
        public var path: String
        public var line: Int?
    }

    public var entries: [Entry] = []
    public var flash = FlashSettings()
    public var chip: String?
    /// `--flash_size detect`: the size comes from the connected chip (`flash.size` is nil then).
    public var detectSize = false
    /// Where `detect` was given, for a merge's warning (merging has no chip to ask).
    public var detectSizeLocation: SourceLocation?
    public var warnings: [FormatWarning] = []

    public init() {}

    public init(parsing bytes: [UInt8]) throws(FormatError) {
        let text = try TextDecoding.decode(bytes)
        if text.trimmingWhitespace().hasPrefix("{") {
            try self.init(json: bytes)
        } else {
            try self.init(arguments: text)
        }
    }

    /// Options that take a value and are irrelevant to merging (esptool global and write-flash options).
    static let ignoredWithValue: Set<String> = ["--baud", "-b", "--port", "-p", "--before", "--after", "--connect-attempts",
                                                "--spi-connection", "--diff-with"]
    static let ignoredFlags: Set<String> = ["write_flash", "write-flash", "--compress", "-z", "--no-compress", "-u", "--no-stub",
                                            "--force", "--verify", "--erase-all", "-e", "--encrypt", "--trace", "--no-progress",
                                            "--skip-flashed", "--no-diff-verify", "--trust-flash-content", "--ignore-flash-enc-efuse"]

    /// Command-line style text: whitespace-separated tokens on any number of lines.
    init(arguments text: String) throws(FormatError) {
        var tokens: [(String, Int)] = []
        for (index, line) in TextDecoding.splitLines(text).enumerated() {
            tokens += line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { (String($0), index + 1) }
        }
        var i = 0
        while i < tokens.count {
            let (token, line) = tokens[i]
            let value = i + 1 < tokens.count ? tokens[i + 1].0 : nil
            func needValue() throws(FormatError) -> String {
                guard let value else {
                    throw FormatError("config.missing_value", "option \(token) needs a value", at: SourceLocation(line: line, field: token))
                }
                return value
            }
            var option = token, inlineValue: String?
            if token.hasPrefix("--"), let eq = token.firstIndex(of: "=") {
                option = String(token[..<eq])
                inlineValue = String(token[token.index(after: eq)...])
            }
            let takes = { (names: [String]) in names.contains(option) }
            let given = inlineValue
            func optionValue() throws(FormatError) -> String {
                if let given { return given }
                return try needValue()
            }
            let location = SourceLocation(line: line, field: option)
            if takes(["--flash_mode", "--flash-mode", "-fm"]) {
                flash.mode = try Self.mode(try optionValue(), at: location)
            } else if takes(["--flash_freq", "--flash-freq", "-ff"]) {
                flash.frequency = try Self.frequency(try optionValue(), at: location)
            } else if takes(["--flash_size", "--flash-size", "-fs"]) {
                let size = try optionValue()
                if size == "detect" {
                    detectSize = true
                    detectSizeLocation = location
                    flash.size = nil
                } else {
                    flash.size = try Self.size(size, at: location)
                }
            } else if takes(["--chip", "-c"]) {
                chip = try optionValue()
            } else if Self.ignoredWithValue.contains(option) {
                if inlineValue == nil { _ = try needValue() }
            } else if Self.ignoredFlags.contains(option) {
                i += 1
                continue
            } else if option.hasPrefix("-") {
                throw FormatError("config.unknown_option", "unknown option \(option)", at: SourceLocation(line: line, field: option),
                                  help: "a flash config holds --flash_mode/--flash_freq/--flash_size and ADDR FILE pairs")
            } else {
                guard case .value(let address) = IntegerText.python(token), address >= 0 else {
                    throw FormatError("config.bad_address", "'\(token)' is not a flash address", at: SourceLocation(line: line),
                                      help: "pairs are written as ADDRESS FILE, e.g. 0x8000 partition_table/partition-table.bin")
                }
                guard let path = value else {
                    throw FormatError("config.missing_file", "address \(token) has no file after it", at: SourceLocation(line: line))
                }
                entries.append(Entry(address: address, path: path, line: line))
            }
            i += inlineValue == nil ? 2 : 1
        }
    }

    /// ESP-IDF `flasher_args.json`.
    init(json bytes: [UInt8]) throws(FormatError) {
        let root = try JSONText.parse(bytes[...], code: "config.bad_json")
        guard case .object = root else {
            throw FormatError("config.bad_json", "flasher_args.json must hold a JSON object")
        }
        if case .array(let items)? = root["write_flash_args"] {
            let args = items.compactMap { if case .string(let s) = $0 { s } else { nil } }
            let parsed = try FlashConfigFile(arguments: args.joined(separator: " "))
            flash = parsed.flash
            warnings = parsed.warnings
            detectSize = parsed.detectSize
            detectSizeLocation = parsed.detectSizeLocation
        }
        if let settings = root["flash_settings"] {
            if case .string(let v)? = settings["flash_mode"] { flash.mode = try Self.mode(v, at: SourceLocation(field: "flash_mode")) }
            if case .string(let v)? = settings["flash_freq"] { flash.frequency = try Self.frequency(v, at: SourceLocation(field: "flash_freq")) }
            if case .string(let v)? = settings["flash_size"] {
                if v == "detect" {
                    detectSize = true
                    detectSizeLocation = SourceLocation(field: "flash_size")
                } else {
                    flash.size = try Self.size(v, at: SourceLocation(field: "flash_size"))
                }
            }
        }
        if case .string(let c)? = root["extra_esptool_args"]?["chip"] { chip = c }
        guard case .object(let files)? = root["flash_files"] else {
            throw FormatError("config.no_files", "flasher_args.json has no \"flash_files\" object", at: SourceLocation(field: "flash_files"))
        }
        for (key, value) in files {
            guard case .value(let address) = IntegerText.python(key), address >= 0 else {
                throw FormatError("config.bad_address", "'\(key)' is not a flash address", at: SourceLocation(field: "flash_files"))
            }
            guard case .string(let path) = value else {
                throw FormatError("config.missing_file", "flash_files entry \(key) is not a file name", at: SourceLocation(field: "flash_files"))
            }
            entries.append(Entry(address: address, path: path, line: nil))
        }
        entries.sort { $0.address < $1.address }
    }

    // `keep` is nil; any other name must be one esptool's command line takes.
    static func mode(_ name: String, at location: SourceLocation) throws(FormatError) -> FlashMode? {
        if name == "keep" { return nil }
        guard let mode = FlashMode(name: name) else {
            throw FormatError("config.bad_flash_mode", "flash mode '\(name)' is not one of keep, "
                              + FlashMode.allCases.map(\.rawValue).joined(separator: ", "), at: location)
        }
        return mode
    }

    static func frequency(_ name: String, at location: SourceLocation) throws(FormatError) -> FlashFrequency? {
        if name == "keep" { return nil }
        guard let frequency = FlashFrequency(name: name) else {
            throw FormatError("config.bad_flash_freq", "flash frequency '\(name)' is not one of keep, "
                              + FlashFrequency.choices.map(\.name).joined(separator: ", "), at: location)
        }
        return frequency
    }

    static func size(_ name: String, at location: SourceLocation) throws(FormatError) -> FlashSize? {
        if name == "keep" { return nil }
        guard let size = FlashSize(name: name) else {
            throw FormatError("config.bad_flash_size", "flash size '\(name)' is not one of keep, detect, "
                              + FlashSize.choices.joined(separator: ", "), at: location)
        }
        return size
    }
}
