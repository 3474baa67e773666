import ArgumentParser

/// esptool's command line turned into this tool's before the argument parser sees it (CLI.md §esptool's command
/// line): `@FILE` expanded anywhere; the global options esptool takes before the subcommand (`-p`, `-b`, `-c`,
/// `--before`, `-a/--after`, `--connect-attempts`, `--port-filter`, `-t/--trace`, `--no-stub`, `-v`, `-s`, `--json`)
/// moved after it, spelled long (so that `-s` stays `--silent` and does not become write-flash's `--skip-flashed`);
/// esptool v4's underscore spellings of commands, options and choices replaced with a deprecation note as esptool 5
/// prints it; `verify-flash --diff yes|no` (v4) read as the v5 flag.
struct EsptoolCommandLine {
    /// Notes for stderr (deprecations), in order.
    private(set) var notes: [String] = []
    /// The words that came from `@FILE`s, with their file and line.
    private(set) var origins: [ArgumentOrigin] = []
    let commands: CommandTree

    init(commands: CommandTree) { self.commands = commands }

    /// A global option: its spellings, the long form it becomes, whether it takes a value, and whether it eats
    /// every following `KEY=VALUE` word (esptool's `--port-filter vid=… pid=…`).
    struct Global {
        let names: [String]
        let long: String
        let takesValue: Bool
        var eatsAll = false
    }

    static let globals: [Global] = [
        Global(names: ["-p", "--port"], long: "--port", takesValue: true),
        Global(names: ["-b", "--baud"], long: "--baud", takesValue: true),
        Global(names: ["-c", "--chip"], long: "--chip", takesValue: true),
        Global(names: ["--before"], long: "--before", takesValue: true),
        Global(names: ["-a", "--after"], long: "--after", takesValue: true),
        Global(names: ["--connect-attempts"], long: "--connect-attempts", takesValue: true),
        Global(names: ["--port-filter"], long: "--port-filter", takesValue: true, eatsAll: true),
        Global(names: ["-t", "--trace"], long: "--trace", takesValue: false),
        Global(names: ["--no-stub"], long: "--no-stub", takesValue: false),
        Global(names: ["-v", "--verbose"], long: "--verbose", takesValue: false),
        Global(names: ["-s", "--silent"], long: "--silent", takesValue: false),
        Global(names: ["--json"], long: "--json", takesValue: false),
        // esptool options with no meaning here: accepted before the command and dropped.
        Global(names: ["--stub-version"], long: "--stub-version", takesValue: true),
        Global(names: ["--override-vddsdio"], long: "--override-vddsdio", takesValue: true),
    ]

    /// esptool commands this tool does not have, and why.
    static let notHere = [
        "elf2image": "esptool's elf2image is not part of this tool (build images with ESP-IDF; image make-app writes a stand-in)",
        "verify-sdc-certificate": "the Secure Debug Controller commands (ESP32-S31) are not supported",
        "read-sdc-chip-info": "the Secure Debug Controller commands (ESP32-S31) are not supported",
    ]

    /// esptool v4 spellings esptool 5 still takes, beyond underscores.
    static let renamedOptions = ["--fill-flash-size": "--pad-to-size"]
    /// Options whose values are esptool choices spelled with hyphens (underscores deprecated).
    static let choiceOptions: Set<String> = ["--before", "--after", "-a"]

    mutating func rewrite(_ arguments: [String]) throws -> [String] {
        let words = try Self.expandFiles(arguments, origins: &origins)
        var i = 0
        var globals: [(Global, [String])] = []
        while i < words.count, let (global, consumed) = matchGlobal(words, at: i) {
            globals.append((global, consumed.values))
            i = consumed.next
        }
        guard i < words.count else { return words }
        guard var node = commands.child(named: words[i], notes: &notes) else {
            if words[i].hasPrefix("-") || words[i] == "help" { return words }
            throw CommandFailure.usage("unknown command '\(words[i])'" + (Self.notHere[words[i]].map { ": \($0)" } ?? ""),
                                       help: "'espflash-swift --help' lists the commands")
        }
        var path = [node.name]
        i += 1
        while i < words.count, let child = node.child(named: words[i], notes: &notes) {
            node = child
            path.append(child.name)
            i += 1
        }
        let rest = node.isEsptoolFamily ? rewriteOptions(Array(words[i...]), command: node) : Array(words[i...])
        var moved: [String] = []
        for (global, values) in globals where CommandTree.accepts(global.long, path: path) {
            if global.takesValue {
                for value in values { moved += [global.long, choiceValue(value, option: global.long)] }
            } else {
                moved.append(global.long)
            }
        }
        return path + moved + rest
    }

    /// The global option at `index`, with its values (`--port X`, `--port=X`, `-pX` is not esptool's).
    private mutating func matchGlobal(_ words: [String], at index: Int) -> (Global, (values: [String], next: Int))? {
        var word = words[index]
        var inline: String?
        if word.hasPrefix("--"), let eq = word.firstIndex(of: "=") {
            inline = String(word[word.index(after: eq)...])
            word = String(word[..<eq])
        }
        if word.hasPrefix("--"), word.contains("_"), let global = Self.globals.first(where: { $0.names.contains(word.replacingUnderscores) }) {
            notes.append("Deprecated: Option '\(word)' is deprecated. Use '\(global.long)' instead.")
            word = word.replacingUnderscores
        }
        guard let global = Self.globals.first(where: { $0.names.contains(word) }) else { return nil }
        guard global.takesValue else { return (global, ([], index + 1)) }
        if let inline { return (global, ([inline], index + 1)) }
        guard index + 1 < words.count else { return (global, ([], index + 1)) }
        var values = [words[index + 1]]
        var next = index + 2
        if global.eatsAll {
            while next < words.count, words[next].contains("="), !words[next].hasPrefix("-"), commands.child(named: words[next]) == nil {
                values.append(words[next])
                next += 1
            }
        }
        return (global, (values, next))
    }

    /// Options after an esptool command: underscores and v4 names replaced, choice values fixed, `--diff yes|no`.
    private mutating func rewriteOptions(_ words: [String], command: CommandTree) -> [String] {
        var out: [String] = []
        var i = 0
        while i < words.count {
            var word = words[i]
            i += 1
            if word == "--" { out += words[(i - 1)...]; break }
            guard word.hasPrefix("-") else { out.append(word); continue }
            var inline: String?
            if word.hasPrefix("--"), let eq = word.firstIndex(of: "=") {
                inline = String(word[word.index(after: eq)...])
                word = String(word[..<eq])
            }
            if word.hasPrefix("--"), word.contains("_") {
                let fixed = word.replacingUnderscores
                notes.append("Deprecated: Option '\(word)' is deprecated. Use '\(Self.renamedOptions[fixed] ?? fixed)' instead.")
                word = fixed
            }
            if let renamed = Self.renamedOptions[word] {
                if !notes.contains(where: { $0.contains("'\(word)'") }) {
                    notes.append("Deprecated: Option '\(word)' is deprecated. Use '\(renamed)' instead.")
                }
                word = renamed
            }
            if command.name == "verify-flash", word == "--diff" || word == "-d" {
                let value = inline ?? (i < words.count && ["yes", "no"].contains(words[i]) ? words[i] : nil)
                if inline == nil, value != nil { i += 1 }
                if value != "no" { out.append("--diff") }
                continue
            }
            if word == "--flash-size" || word == "-fs", let value = inline ?? (i < words.count ? words[i] : nil), let modern = Self.megabitSize(value) {
                if inline == nil { i += 1 }
                notes.append("Deprecated: flash size '\(value)' counts megabits (esptool v1); use '\(modern)'.")
                out += [word, modern]
                continue
            }
            if Self.choiceOptions.contains(word) {
                let value = inline ?? (i < words.count ? words[i] : nil)
                if inline == nil, value != nil { i += 1 }
                out.append(word)
                if let value { out.append(choiceValue(value, option: word)) }
                continue
            }
            out.append(inline.map { word + "=" + $0 } ?? word)
        }
        return out
    }

    /// esptool v1's flash sizes in megabits (`32m` is 4 MB, `16m-c1` is `2MB-c1`); nil for anything else.
    static func megabitSize(_ value: String) -> String? {
        let parts = value.lowercased().split(separator: "-", maxSplits: 1)
        guard let first = parts.first, first.hasSuffix("m"), let megabits = Int(first.dropLast()), megabits >= 2,
              megabits & (megabits - 1) == 0, megabits <= 1024 else { return nil }
        let name = megabits >= 8 ? "\(megabits / 8)MB" : "\(megabits * 128)KB"
        return parts.count == 2 ? name + "-" + parts[1] : name
    }

    /// `no_reset` for `--before` is v4's `no-reset`.
    private mutating func choiceValue(_ value: String, option: String) -> String {
        guard Self.choiceOptions.contains(option), value.contains("_") else { return value }
        let fixed = value.replacingUnderscores
        notes.append("Deprecated: Choice '\(value)' for option '\(option == "-a" ? "--after" : option)' is deprecated. Use '\(fixed)' instead.")
        return fixed
    }

    // MARK: - @FILE

    /// Every `@FILE` replaced by the words of FILE, line by line, split as Python's `shlex.split` does (esptool
    /// `expand_file_arguments`; ESP-IDF's `flash_args`). Not recursive, as esptool's. Where each word came from is
    /// kept in `origins`, so that an error about one of them can name the file and line (`Console.error`).
    static func expandFiles(_ arguments: [String], origins: inout [ArgumentOrigin]) throws -> [String] {
        var out: [String] = []
        for argument in arguments {
            guard argument.hasPrefix("@"), argument.count > 1 else { out.append(argument); continue }
            let path = String(argument.dropFirst())
            guard let text = EsptoolConfigFile.readText(path) else {
                throw CommandFailure.io("cannot read \(argument): \(path) is not a readable file",
                                        help: "@FILE reads arguments from FILE (like ESP-IDF's build/flash_args)")
            }
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                do {
                    let words = try shellWords(String(line))
                    origins += words.map { ArgumentOrigin(word: $0, file: path, line: index + 1) }
                    out += words
                } catch {
                    throw CommandFailure(exitCode: ExitStatus.badInput, message: "\(path):\(index + 1): \(error.message)")
                }
            }
        }
        return out
    }

    struct SplitError: Error { let message: String }

    /// POSIX shell-like words: blanks separate, '…' is literal, "…" keeps blanks and takes \" \\ \$ \` escapes,
    /// a backslash outside quotes escapes the next character.
    static func shellWords(_ line: String) throws(SplitError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var chars = Array(line.hasSuffix("\r") ? String(line.dropLast()) : line)[...]
        while let c = chars.popFirst() {
            switch c {
            case " ", "\t":
                if inWord { words.append(current); current = ""; inWord = false }
            case "'":
                inWord = true
                guard let end = chars.firstIndex(of: "'") else { throw SplitError(message: "no closing quotation") }
                current += String(chars[..<end])
                chars = chars[(end + 1)...]
            case "\"":
                inWord = true
                var closed = false
                while let d = chars.popFirst() {
                    if d == "\"" { closed = true; break }
                    if d == "\\", let e = chars.first, "\"\\$`".contains(e) { current.append(chars.removeFirst()); continue }
                    current.append(d)
                }
                guard closed else { throw SplitError(message: "no closing quotation") }
            case "\\":
                inWord = true
                guard let e = chars.popFirst() else { throw SplitError(message: "no escaped character") }
                current.append(e)
            default:
                inWord = true
                current.append(c)
            }
        }
        if inWord { words.append(current) }
        return words
    }
}

/// A command-line word read from an `@FILE`: the file and the line it is on.
struct ArgumentOrigin: Sendable {
    let word: String
    let file: String
    let line: Int
}

/// The command names of this tool, for finding the subcommand in a command line.
struct CommandTree {
    let name: String
    let children: [CommandTree]

    init(_ command: ParsableCommand.Type) {
        name = command._commandName
        children = command.configuration.subcommands.map(CommandTree.init)
    }

    /// The child called `word`, or (with a note) the child whose hyphenated name `word` spells with underscores.
    func child(named word: String, notes: inout [String]) -> CommandTree? {
        if let exact = children.first(where: { $0.name == word }) { return exact }
        guard word.contains("_"), !word.hasPrefix("-"), let fixed = children.first(where: { $0.name == word.replacingUnderscores }) else { return nil }
        notes.append("Deprecated: Command '\(word)' is deprecated. Use '\(fixed.name)' instead.")
        return fixed
    }

    /// The subcommand names at the start of `arguments` (`["at", "send"]`).
    func commandPath(of arguments: [String]) -> [String] {
        var node = self
        var path: [String] = []
        for word in arguments {
            guard let child = node.children.first(where: { $0.name == word }) else { break }
            path.append(word)
            node = child
        }
        return path
    }

    func child(named word: String) -> CommandTree? {
        var ignored: [String] = []
        return child(named: word, notes: &ignored)
    }

    /// Device commands: every connection option applies.
    static let deviceCommands: Set<String> = [
        "board-info", "write-flash", "read-flash", "verify-flash", "erase-region", "erase-flash", "read-mac", "flash-id",
        "chip-id", "get-security-info", "read-mem", "write-mem", "dump-mem", "read-flash-status", "write-flash-status",
        "read-flash-sfdp", "load-ram", "run",
    ]
    /// esptool's other commands and `list-ports`: esptool spellings are rewritten for them too.
    static let otherEsptoolCommands: Set<String> = ["merge-bin", "image-info", "version", "list-ports"]

    var isEsptoolFamily: Bool { Self.deviceCommands.contains(name) || Self.otherEsptoolCommands.contains(name) }

    /// Whether the command at `path` takes the global option `long`; esptool accepts every global option before
    /// any command, so the others are dropped silently (`esptool -p PORT merge-bin …` works).
    static func accepts(_ long: String, path: [String]) -> Bool {
        let name = path.last ?? ""
        if deviceCommands.contains(name) { return !["--stub-version", "--override-vddsdio"].contains(long) }
        if path.first == "at" { return ["--port", "--baud", "--json"].contains(long) }
        switch name {
        case "list-ports": return ["--port-filter", "--json"].contains(long)
        case "merge-bin", "image-info": return long == "--chip" || (long == "--json" && name == "image-info")
        case "version": return false
        default: return long == "--json"
        }
    }
}
