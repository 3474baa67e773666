import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The malformed-input corpus (Fixtures/malformed, issue 16): for every command that reads a file, a valid input
/// and a compact description of how to break it, from which the cases are made deterministically. Each case runs
/// the built binary and asserts the exit code, an `error:` line naming the file and the line or byte offset (and
/// the field where the description names one), no output file, an existing output left as it was, no temporary
/// file left behind, and never a crash.
struct CorpusCommand: Sendable {
    /// `partition-table csv`, `nvs generate` …: the name cases are grouped under.
    var name: String
    /// The command as the user knows it: the name up to the first word that is not a subcommand
    /// (`partition-table csv` → `partition-table`, `factory-param inspect --types` → `factory-param inspect`).
    var command: String {
        let words = name.split(separator: " ")
        let two = ["nvs", "factory-param", "ble-service", "pki", "image", "at"].contains(String(words[0]))
        return words.prefix(two ? (words[0] == "at" ? 2 : 2) : 1).joined(separator: " ")
    }
    /// The command line; `{KEY}` is the path of input KEY, `{out}` the output, `{D}` the case folder.
    var arguments: [String]
    var inputs: [CorpusInput]
    /// The output the command writes (relative to the case folder), if any.
    var output: String?
    /// Files the command reads that are not broken here (fixtures path by file name), such as the files a
    /// configuration file lists.
    var support: [String: String] = [:]
    /// What an output path equal to the first input gives, when not the first probe's error (a usage error when
    /// the command wants another extension).
    var outputEqualsInput: Expect?
    /// What an output in a folder that does not exist gives (the NVS commands create it, as the original does).
    var outputInMissingFolder = Expect(74, .none, names: "no/such/folder")
}

/// One input file of a command, valid as given, and the ways it is broken.
struct CorpusInput: Sendable {
    var key: String
    /// File name in the case folder.
    var file: String
    /// Fixtures path of the valid content.
    var fixture: String
    var isText: Bool
    var probes: [Probe]
    /// Whole-file families and what each gives (nil: the family does not apply, e.g. an empty file that is valid).
    var empty: Expect? = Expect(2, .none)
    var garbage: Expect? = Expect(2, .none)
    var truncated: Expect? = nil
    /// Lengths `truncated` cuts the file to (default: 1, 7 and just over half of it).
    var truncations: [Int]?
    /// Endless input (/dev/zero): refused at the size limit.
    var endless = false
    /// Single bytes changed (XOR 0x5A) at `count` places spread over `range`, each giving `expect`.
    var flips: Flips?

    struct Flips: Sendable {
        var range: Range<Int>
        var count: Int
        var expect: Expect
    }

    init(_ key: String, file: String, fixture: String, text: Bool, probes: [Probe], empty: Expect? = Expect(2, .none),
         garbage: Expect? = Expect(2, .none), truncated: Expect? = nil, truncations: [Int]? = nil, endless: Bool = false,
         flips: Flips? = nil) {
        self.truncations = truncations
        self.flips = flips
        self.key = key
        self.file = file
        self.fixture = fixture
        self.isText = text
        self.probes = probes
        self.empty = empty
        self.garbage = garbage
        self.truncated = truncated
        self.endless = endless
    }
}

/// What a broken input must give: the exit code and where the message must point.
struct Expect: Sendable, Equatable {
    var exit: Int32
    var location: Location
    /// The file the message names, when not the broken input (an error found where another file refers to it).
    var names: String?

    init(_ exit: Int32, _ location: Location, names: String? = nil) {
        self.exit = exit
        self.location = location
        self.names = names
    }
}

enum Location: Sendable, Equatable {
    /// `FILE:LINE:`, and `field 'NAME'` when a field is given.
    case line(Int, field: String? = nil)
    /// `FILE:<some line>:`.
    case anyLine
    /// `at byte 0x…` (and the field when given).
    case byte(field: String? = nil)
    /// A line or a byte offset (a cut-off binary may read as text).
    case place
    /// The file is named; no place inside it.
    case none
}

/// A change that breaks an input in a known way.
struct Probe: Sendable {
    var name: String
    var change: Change
    var expect: Expect

    enum Change: Sendable {
        /// Replace comma-separated cell `column` of 1-based `line` (no CSV quoting in the base files).
        case cell(line: Int, column: Int, value: String)
        /// Replace the whole line.
        case line(Int, String)
        /// Insert a line before `line` (after the last line when past the end).
        case insert(Int, String)
        /// Overwrite bytes at `offset`.
        case patch(offset: Int, bytes: [UInt8])
        /// Keep only the first `length` bytes.
        case truncate(Int)
        /// Replace the whole content.
        case content([UInt8])
    }

    /// Probes for each value in one cell: exit 2 naming `line` (or `reportedLine`) and `field`.
    static func cells(line: Int, column: Int, field: String?, values: [String], reportedLine: Int? = nil, exit: Int32 = 2) -> [Probe] {
        values.enumerated().map { n, value in
            Probe(name: "L\(line)C\(column)-\(n)", change: .cell(line: line, column: column, value: value),
                  expect: Expect(exit, .line(reportedLine ?? line, field: field)))
        }
    }

    /// Byte patches of a binary, each refused naming a byte offset.
    static func patches(_ list: [(offset: Int, bytes: [UInt8])], field: String? = nil, location: Location? = nil) -> [Probe] {
        list.map { Probe(name: "@\(String($0.offset, radix: 16))", change: .patch(offset: $0.offset, bytes: $0.bytes),
                         expect: Expect(2, location ?? .byte(field: field))) }
    }

    func apply(to base: [UInt8]) -> [UInt8] {
        switch change {
        case .cell(let line, let column, let value):
            var lines = Probe.lines(base)
            var cells = lines[line - 1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            while cells.count <= column { cells.append("") }
            cells[column] = value
            lines[line - 1] = cells.joined(separator: ",")
            return Array((lines.joined(separator: "\n") + "\n").utf8)
        case .line(let line, let text):
            var lines = Probe.lines(base)
            lines[line - 1] = text
            return Array((lines.joined(separator: "\n") + "\n").utf8)
        case .insert(let line, let text):
            var lines = Probe.lines(base)
            lines.insert(text, at: min(line - 1, lines.count))
            return Array((lines.joined(separator: "\n") + "\n").utf8)
        case .patch(let offset, let bytes):
            var out = base
            out.replaceSubrange(offset..<min(out.count, offset + bytes.count), with: bytes)
            return out
        case .truncate(let length):
            return Array(base.prefix(length))
        case .content(let bytes):
            return bytes
        }
    }

    /// Lines split at each LF byte (a String would keep CR LF together as one character).
    static func lines(_ bytes: [UInt8]) -> [String] {
        var body = bytes[...]
        if body.last == 0x0A { body = body.dropLast() }
        return body.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// One generated case.
struct CorpusCase: Sendable, CustomStringConvertible {
    enum File: Sendable {
        case bytes([UInt8])
        case directory
        case symlink(String)
    }

    var command: String
    var name: String
    var files: [String: File]
    var arguments: [String]
    var expect: Expect
    /// The path (relative) the message must name.
    var names: String
    var output: String?
    /// Whether the output must be absent (or, with `existingOutput`, unchanged) afterwards.
    var checkOutput = true
    /// The output exists before the run, with this content, and must be left as it was.
    var existingOutput: [UInt8]?
    /// A file that must keep its content (output equal to input).
    var unchanged: (path: String, bytes: [UInt8])?

    var description: String { "\(command) [\(name)]" }
}

extension CorpusCommand {
    static let sentinel = Array("existing output, must stay\n".utf8)

    /// Every case of this command, in a fixed order.
    /// `{KEY}` → `{D}/FILE` of input KEY.
    func resolve(_ arguments: [String]) -> [String] {
        arguments.map { argument in inputs.first { "{\($0.key)}" == argument }.map { "{D}/" + $0.file } ?? argument }
    }

    func cases() throws -> [CorpusCase] {
        let bases = try Dictionary(uniqueKeysWithValues: inputs.map { ($0.key, try CorpusFixtures.bytes($0.fixture)) })
        let supportBytes = try Dictionary(uniqueKeysWithValues: Set(support.values).map { ($0, try CorpusFixtures.bytes($0)) })
        func make(_ name: String, _ input: CorpusInput, content: CorpusCase.File, expect: Expect,
                  arguments: [String]? = nil, files extra: [String: CorpusCase.File] = [:], names: String? = nil) -> CorpusCase {
            var files: [String: CorpusCase.File] = [:]
            for (file, fixture) in support { files[file] = .bytes(supportBytes[fixture]!) }
            for other in inputs { files[other.file] = .bytes(bases[other.key]!) }
            files[input.file] = content
            files.merge(extra) { $1 }
            return CorpusCase(command: self.name, name: "\(input.key) \(name)", files: files, arguments: resolve(arguments ?? self.arguments),
                              expect: expect, names: names ?? expect.names ?? input.file, output: output)
        }
        var cases: [CorpusCase] = []
        for input in inputs {
            let base = bases[input.key]!
            for probe in input.probes {
                cases.append(make(probe.name, input, content: .bytes(probe.apply(to: base)), expect: probe.expect))
            }
            if let flips = input.flips {
                let step = max(1, flips.range.count / flips.count)
                for at in stride(from: flips.range.lowerBound, to: flips.range.upperBound, by: step).prefix(flips.count) where at < base.count {
                    var flipped = base
                    flipped[at] ^= 0x5A
                    cases.append(make("flip-\(String(at, radix: 16))", input, content: .bytes(flipped), expect: flips.expect))
                }
            }
            if let empty = input.empty { cases.append(make("empty", input, content: .bytes([]), expect: empty)) }
            if let garbage = input.garbage {
                var random = CorpusRandom(seed: UInt64(input.file.utf8.reduce(7) { $0 &* 31 &+ UInt64($1) }))
                for size in [1, 57, 3000] {
                    cases.append(make("garbage-\(size)", input, content: .bytes((0..<size).map { _ in random.byte() }), expect: garbage))
                }
            }
            if let truncated = input.truncated {
                for length in Set(input.truncations ?? [1, 7, base.count / 2 + 1]).sorted() where length > 0 && length < base.count {
                    cases.append(make("truncated-\(length)", input, content: .bytes(Array(base.prefix(length))), expect: truncated))
                }
            }
            // Text encodings, each around the first probe (so the error and its line are known).
            if input.isText, let first = input.probes.first(where: { if case .cell = $0.change { true } else { false } }) {
                let broken = first.apply(to: base)
                cases.append(make("bom+" + first.name, input, content: .bytes([0xEF, 0xBB, 0xBF] + broken), expect: first.expect))
                let crlf = broken.flatMap { $0 == 0x0A ? [0x0D, 0x0A] : [$0] }
                cases.append(make("crlf+" + first.name, input, content: .bytes(crlf), expect: first.expect))
                let secondLine = (base.firstIndex(of: 0x0A) ?? 0) + 1
                cases.append(make("invalid-utf8", input, content: .bytes(Array(base.prefix(secondLine)) + [0xC3, 0x28] + base.dropFirst(secondLine)),
                                  expect: Expect(2, .line(2))))
                cases.append(make("lone-continuation", input, content: .bytes(base + [0x80]), expect: Expect(2, .anyLine)))
            }
            // Paths that cannot be read, meaningful under root too.
            // Unreadable paths keep the file's extension, which some commands check first.
            // (Only for inputs named on the command line: a file another file names is probed by its own probes.)
            let named = arguments.contains("{\(input.key)}")
            let path = "{D}/" + input.file
            let ext = input.file.contains(".") ? "." + input.file.split(separator: ".").last! : ""
            for (family, file, replacement): (String, CorpusCase.File?, String) in [
                ("missing", nil, "{D}/missing-" + input.file), ("directory", .directory, path), ("through-file", nil, path + "/x" + ext),
                ("dangling-symlink", .symlink("nowhere"), path),
            ] where named {
                var c = make(family, input, content: file ?? .bytes(base), expect: Expect(74, .none),
                             arguments: arguments.map { $0 == "{\(input.key)}" ? replacement : $0 })
                if family == "missing" || family == "through-file" { c.names = String(replacement.dropFirst("{D}/".count)) }
                cases.append(c)
            }
            if input.endless, named {
                cases.append(make("dev-zero", input, content: .bytes(base), expect: Expect(2, .none),
                                  arguments: arguments.map { $0 == "{\(input.key)}" ? "/dev/zero" : $0 }, names: "/dev/zero"))
            }
        }
        // Outputs: some cases start with an existing output that must stay; the output's folder must exist; an output
        // equal to a (broken) input leaves the input as it was.
        if let output {
            for i in cases.indices where i % 2 == 0 && cases[i].expect.exit != 74 { cases[i].existingOutput = Self.sentinel }
            let first = inputs[0]
            if let probe = first.probes.first {
                var same = make("output-equals-input", first, content: .bytes(probe.apply(to: bases[first.key]!)), expect: outputEqualsInput ?? probe.expect,
                                arguments: arguments.map { $0 == "{out}" ? "{D}/" + first.file : $0 })
                same.checkOutput = false
                same.unchanged = (first.file, probe.apply(to: bases[first.key]!))
                cases.append(same)
            }
            var missingFolder = make("output-in-missing-folder", first, content: .bytes(bases[first.key]!), expect: outputInMissingFolder,
                                     arguments: arguments.map { $0 == "{out}" ? "{D}/no/such/folder/" + output : $0 })
            missingFolder.checkOutput = false
            cases.append(missingFolder)
            var folder = make("output-is-a-folder", first, content: .bytes(bases[first.key]!), expect: Expect(74, .none),
                              files: [output: .directory], names: output)
            folder.checkOutput = false
            cases.append(folder)
        }
        return cases
    }
}

/// The inputs of the corpus, from Fixtures.
enum CorpusFixtures {
    static func bytes(_ path: String) throws -> [UInt8] { Array(try CLI.read(CLI.fixture(path))) }
}

/// A small deterministic generator for garbage inputs.
struct CorpusRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed | 1 }
    mutating func byte() -> UInt8 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state >> 24)
    }
}
