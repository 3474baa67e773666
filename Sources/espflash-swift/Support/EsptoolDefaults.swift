import ImageFormats
import SerialBootloader
#if canImport(Glibc)
import Glibc
#endif

/// Defaults for options not given on the command line, as esptool takes them: the environment (`ESPFLASH_*`, this
/// tool's own names, then esptool's `ESPTOOL_*`), then the `[esptool]` section of the configuration file, then the
/// built-in default. A command-line value beats all of them.
struct EsptoolDefaults {
    let config: EsptoolConfigFile?

    /// Loaded once per run; the file's warnings (unknown keys, a bad `ESPTOOL_CFGFILE`) go to stderr then.
    static let shared = EsptoolDefaults.load()

    static func load() -> EsptoolDefaults {
        let config = EsptoolConfigFile.find(environment: environment) { Console.warning($0) }
        if let config, !config.unknownKeys.isEmpty {
            Console.warning("\(config.path): ignoring unknown config option\(config.unknownKeys.count > 1 ? "s" : ""): "
                            + config.unknownKeys.joined(separator: ", "))
        }
        return EsptoolDefaults(config: config)
    }

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    /// A value and where it came from (`ESPTOOL_BAUD`, `esptool.cfg:4`), for messages.
    struct Sourced {
        var text: String
        var source: String
        /// Config values are input data (exit 2 when wrong); environment values are usage (exit 64).
        var fromFile: Bool
    }

    /// The first of the environment variables that is set, else the config key.
    func lookup(_ variables: [String], key: String?) -> Sourced? {
        for name in variables {
            if let value = Self.environment(name) { return Sourced(text: value, source: name, fromFile: false) }
        }
        if let key, let config, let value = config[key] {
            return Sourced(text: value.text, source: config.location(key), fromFile: true)
        }
        return nil
    }

    func failure(_ sourced: Sourced, _ what: String) -> CommandFailure {
        let message = "\(sourced.source): \(what)"
        return sourced.fromFile ? CommandFailure(exitCode: ExitStatus.badInput, message: message) : .usage(message)
    }

    func integer(_ variables: [String], key: String?, _ description: String) throws -> Int? {
        guard let sourced = lookup(variables, key: key) else { return nil }
        guard let value = IntegerText.sizeOrAddress(sourced.text) ?? Int(sourced.text) else {
            throw failure(sourced, "'\(sourced.text)' is not \(description)")
        }
        return value
    }

    func seconds(_ key: String) throws -> Double? {
        guard let sourced = lookup([], key: key) else { return nil }
        guard let value = Double(sourced.text), value >= 0 else { throw failure(sourced, "field '\(key)': '\(sourced.text)' is not a number of seconds") }
        return value
    }

    /// A choice (`--before` and friends): underscores are esptool v4's spelling, accepted with a deprecation note.
    func choice<T>(_ variables: [String], key: String, option: String, parse: (String) -> T?, choices: [String]) throws -> T? {
        guard var sourced = lookup(variables, key: key) else { return nil }
        if sourced.text.contains("_"), let value = parse(sourced.text.replacingUnderscores) {
            Console.warning("Deprecated: Choice '\(sourced.text)' for option '\(option)' (\(sourced.source)) is deprecated. "
                            + "Use '\(sourced.text.replacingUnderscores)' instead.")
            sourced.text = sourced.text.replacingUnderscores
            return value
        }
        guard let value = parse(sourced.text) else {
            throw failure(sourced, "'\(sourced.text)' is not a valid \(option) (choose from \(choices.joined(separator: ", ")))")
        }
        return value
    }

    /// esptool's timeouts with the file's overrides; nil when the file sets none.
    func timeouts() throws -> CommandTimeouts? {
        var t = CommandTimeouts.standardTimeouts
        var changed = false
        let fields: [(String, WritableKeyPath<CommandTimeouts, Double>)] = [
            ("timeout", \.standard), ("sync_timeout", \.sync), ("max_timeout", \.maximum),
            ("erase_region_timeout_per_mb", \.erasePerMB), ("erase_write_timeout_per_mb", \.writePerMB),
            ("md5_timeout_per_mb", \.md5PerMB), ("mem_end_rom_timeout", \.memEnd),
        ]
        for (key, path) in fields {
            if let value = try seconds(key) {
                t[keyPath: path] = value
                changed = true
            }
        }
        return changed ? t : nil
    }

    /// Keys esptool has that this tool reads but does not apply yet, with why; warned about when present.
    func unusedKeysNote() -> String? {
        guard let config else { return nil }
        let unused = ["chip_erase_timeout", "serial_write_timeout", "reset_delay", "custom_reset_sequence", "custom_hard_reset_sequence"]
            .filter { config[$0] != nil }
        guard !unused.isEmpty else { return nil }
        return "\(config.path): " + unused.joined(separator: ", ") + " \(unused.count == 1 ? "is" : "are") not used by this tool "
            + "(no stub chip erase; writes do not block; the reset sequences are built in)"
    }
}

extension String {
    var replacingUnderscores: String { String(map { $0 == "_" ? "-" : $0 }) }
}
