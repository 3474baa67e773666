import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ImageFormats

struct PKICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract: "Build or inspect the AT firmware's PKI bins (server_cert, client_key, mqtt_ca … partitions).",
        discussion: EsptoolSpelling.discussion("pki", """
            A PKI bin holds certificates and keys behind AT+CIPSSLCCONF (esp-at v1.0 - v3.0): magic F1 F1, item \
            count, total length, then each file verbatim with a type (ca 01, cert 02, key 03) and an id. Output \
            bytes are identical to esp-at's AtPKI.py generate_bin (final Python 3 version).

            Examples:
              espflash-swift pki build -o server_cert.bin cert server.crt
              espflash-swift pki build -o client_cert.bin cert client0.crt cert client1.crt
              espflash-swift pki inspect server_cert.bin
              espflash-swift pki inspect client_key.bin --json --extract keys/
            """),
        subcommands: [Build.self, Inspect.self]
    )

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "build",
            abstract: "Pack certificate and key files into a PKI bin.",
            discussion: """
                Items are grouped by type in order of first appearance and numbered from 0 within each type, as \
                AtPKI.py does. Each file is parsed as a certificate or key (PEM or DER) and its subject, issuer, \
                validity and key type are checked; content that does not parse, or a cert and key with the same id \
                that do not belong together, gives a warning. Files over 65535 bytes are refused (AtPKI.py silently \
                writes a wrong length).

                Examples:
                  espflash-swift pki build -o server_key.bin key server.key
                  espflash-swift pki build -o mqtt_ca.bin ca root.crt ca intermediate.crt
                """
        )

        @Option(name: [.short, .customLong("output")], help: "Output PKI bin.")
        var output: String

        @Argument(help: "TYPE FILE pairs; TYPE is ca, cert or key.")
        var pairs: [String] = []

        func validate() throws {
            guard !pairs.isEmpty else { throw ValidationError("give at least one TYPE FILE pair, e.g. cert server.crt") }
            guard pairs.count % 2 == 0 else { throw ValidationError("'\(pairs.last!)' has no FILE after it; arguments come in TYPE FILE pairs") }
            for i in stride(from: 0, to: pairs.count, by: 2) where PKIBundle.Kind(word: pairs[i]) == nil {
                throw ValidationError("unknown TYPE '\(pairs[i])'; use ca, cert or key")
            }
        }

        func run() throws {
            try reportingFailures {
                var inputs: [(kind: PKIBundle.Kind, content: [UInt8], source: String)] = []
                for i in stride(from: 0, to: pairs.count, by: 2) {
                    inputs.append((PKIBundle.Kind(word: pairs[i])!, try FileIO.read(pairs[i + 1]), pairs[i + 1]))
                }
                let bundle: PKIBundle
                let binary: [UInt8]
                do throws(FormatError) {
                    bundle = try PKIBundle.assemble(inputs)
                    binary = try bundle.encoded()
                } catch {
                    throw CommandFailure.input(error, file: error.location.field ?? output)
                }
                // Name the files in warnings: items are in bin order, inputs in command-line order.
                let sources = PKIBundle.sourceOrder(inputs.map(\.kind)).map { inputs[$0].source }
                let described = bundle.describe()
                for w in described.warnings { Console.warning(w.message) }
                for (n, content) in described.contents.enumerated() where content.kind == .certificate {
                    if let end = content.notValidAfter, end < Date() {
                        let item = bundle.items[n]
                        Console.warning("\(item.kind) \(item.id) (\(sources[n])): the certificate expired on \(Inspect.date(end))")
                    }
                }
                try FileIO.writeAtomically(binary, to: output)
            }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inspect",
            abstract: "List the items of a PKI bin, and optionally write them back out as files.",
            discussion: """
                For each item: type, id, length, and for a certificate its subject, issuer, validity and key type \
                (for a key its type). Type 02 on a CA or key partition is accepted (esp-at v2.2 - v2.4 wrote that). \
                --extract DIR writes each item as DIR/<type>_<id>.crt|.key|.der|.bin, byte for byte.

                Examples:
                  espflash-swift pki inspect server_cert.bin
                  espflash-swift pki inspect client_cert.bin --json
                  espflash-swift pki inspect client_cert.bin --extract out/
                  espflash-swift pki inspect factory_WROOM-32.bin --partition server_cert
                """
        )

        @Argument(help: "PKI bin file, or a whole flash image with --offset/--partition.")
        var input: String

        @OptionGroup var region: RegionOptions

        @Flag(name: .customLong("json"), help: "Print one JSON document.")
        var json = false

        @Option(name: .customLong("extract"), help: "Write every item's content into this folder (created if missing).")
        var extract: String?

        func run() throws {
            try reportingFailures {
                let (decoded, input) = try InputFile.decode(input, region: region, with: PKIBundle.decode)
                let described = decoded.bundle.describe()
                Console.warnings(decoded.warnings, file: input)
                for w in described.warnings { Console.warning("\(input): \(w.message)") }
                var files: [String?] = Array(repeating: nil, count: decoded.bundle.items.count)
                if let extract {
                    try FileIO.createDirectory(extract)
                    for (n, (item, content)) in zip(decoded.bundle.items, described.contents).enumerated() {
                        let path = PathText.join(extract, Self.fileName(item, content))
                        try FileIO.writeAtomically(item.content, to: path)
                        files[n] = path
                    }
                }
                if json {
                    Console.out(Self.json(decoded, described.contents, files: files))
                } else {
                    Console.out(Self.text(decoded, described.contents, files: files, file: input))
                }
            }
        }

        static func fileName(_ item: PKIBundle.Item, _ content: PKIContent) -> String {
            let stem = item.kind.word ?? "type\(String(item.kind.rawValue, radix: 16))"
            let ext: String
            switch (content.encoding, content.kind) {
            case ("DER", _): ext = "der"
            case (_, .certificate): ext = "crt"
            case (_, .privateKey): ext = "key"
            default: ext = "bin"
            }
            return "\(stem)_\(item.id).\(ext)"
        }

        static func date(_ date: Date) -> String { date.formatted(.iso8601) }

        static func json(_ decoded: PKIBundle.Decoded, _ contents: [PKIContent], files: [String?]) -> JSONValue {
            let items = zip(decoded.bundle.items, contents).enumerated().map { n, pair -> JSONValue in
                let (item, content) = pair
                return .object([
                    ("type", .optional(item.kind.word)), ("type_byte", .int(Int(item.kind.rawValue))), ("id", .int(Int(item.id))),
                    ("offset", .int(item.offset)), ("length", .int(item.content.count)),
                    ("content", .string(content.kind.rawValue)), ("encoding", .optional(content.encoding)),
                    ("subject", .optional(content.subject)), ("issuer", .optional(content.issuer)),
                    ("not_valid_before", .optional(content.notValidBefore.map(date))),
                    ("not_valid_after", .optional(content.notValidAfter.map(date))),
                    ("key_type", .optional(content.keyType)), ("problem", .optional(content.problem)),
                    ("file", .optional(files[n])),
                ])
            }
            return .object([
                ("format", .string("pki")), ("count", .int(decoded.bundle.items.count)),
                ("total_length", .int(decoded.totalLength)), ("trailing_erased_bytes", .int(decoded.trailingErasedBytes)),
                ("items", .array(items)),
            ])
        }

        static func text(_ decoded: PKIBundle.Decoded, _ contents: [PKIContent], files: [String?], file: String) -> String {
            var out = "\(file): PKI bin, \(decoded.bundle.items.count) item(s), \(decoded.totalLength) bytes of items\n"
            for (n, (item, content)) in zip(decoded.bundle.items, contents).enumerated() {
                out += "\(item.kind) \(item.id): \(item.content.count) bytes at 0x\(String(item.offset, radix: 16)), "
                switch content.kind {
                case .certificate:
                    out += "\(content.encoding ?? "") certificate, \(content.keyType ?? "?") key\n"
                    out += "    subject:  \(content.subject ?? "")\n    issuer:   \(content.issuer ?? "")\n"
                    out += "    valid:    \(content.notValidBefore.map(date) ?? "?") to \(content.notValidAfter.map(date) ?? "?")\n"
                case .privateKey:
                    out += "\(content.encoding ?? "") private key, \(content.keyType ?? "?")\n"
                case .unknown:
                    out += "not a certificate or key (\(content.problem ?? ""))\n"
                }
                if let path = files[n] { out += "    written:  \(path)\n" }
            }
            return out
        }
    }
}

extension PKIBundle {
    /// For each item of the bundle `assemble` makes from inputs of these kinds, the index of its input.
    static func sourceOrder(_ kinds: [Kind]) -> [Int] {
        var order: [Kind] = []
        for k in kinds where !order.contains(k) { order.append(k) }
        return order.flatMap { k in kinds.indices.filter { kinds[$0] == k } }
    }
}
