import ArgumentParser
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ImageFormats

struct NVSBatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "One NVS image per device from mfg_gen.py config and values CSVs (ESP-IDF mass manufacturing).",
        discussion: """
            CONFIG.csv lists key,type,encoding[,REPEAT] rows (and name,namespace, rows); VALUES.csv has a header of \
            keys and one row per device. For every row this writes OUTDIR/csv/PREFIX-ID.csv (the intermediate CSV, \
            CRLF) and OUTDIR/bin/PREFIX-ID.bin, byte-identical to mfg_gen.py; ID is the --fileid column or 1, 2, 3…. \
            With --keygen each device gets its own OUTDIR/keys/keys-PREFIX-ID.bin, with --inputkey all share one key. \
            All rows are checked and generated (on all cores) before anything is written; existing files are never \
            overwritten. File paths in the values are relative to the current directory.

            Examples:
              espflash-swift nvs batch --conf config.csv --values values.csv --size 0x3000 --prefix dev --outdir out
              espflash-swift nvs batch --conf config.csv --values values.csv --size 0x3000 --fileid serial_no --prefix-num 1 4 --keygen
            """
    )

    @Option(help: "mfg_gen config CSV (key,type,encoding[,REPEAT]).") var conf: String
    @Option(help: "Master values CSV (header of keys, one row per device).") var values: String
    @Option(help: "Partition size, a multiple of 4096.") var size: String
    @Option(help: "File name prefix.") var prefix: String = "nvs"
    @Option(help: "Values column whose value names each device's files (default: 1, 2, 3…).") var fileid: String?
    @Option(name: [.customLong("prefix-num"), .customLong("prefix_num")], parsing: .upToNextOption,
            help: "START LEN: add a counter of LEN digits from START to the names (mfg_gen --prefix_num).")
    var prefixNum: [Int] = []
    @Option(name: .customLong("version"), help: "NVS format version: 1 or 2.") var formatVersion: NVSFormatVersionArgument = .v2
    @Flag(help: "Encrypt each image with its own new key.") var keygen = false
    @Option(help: "Encrypt every image with this key file.") var inputkey: String?
    @Option(help: "Output folder (default: current directory).") var outdir: String = "."

    func validate() throws {
        if keygen && inputkey != nil { throw ValidationError("give only one of --keygen and --inputkey") }
        if !prefixNum.isEmpty && (prefixNum.count != 2 || prefixNum[1] < 0 || prefixNum[0] < 0) {
            throw ValidationError("--prefix-num takes START LEN")
        }
    }

    func run() throws {
        try reportingFailures {
            let size = try NVSPaths.size(size)
            for (path, what) in [(conf, "config"), (values, "values")] where !path.hasSuffix(".csv") {
                throw CommandFailure.usage("\(what) file '\(path)' must have the .csv extension")
            }
            let keys = try inputkey.map { path -> NVSKeys in
                try NVSPaths.requireBinExtension(path, what: "key file")
                return try NVSPaths.keys(path)
            }
            let configBytes = try FileIO.read(conf, limit: InputLimits.text), valuesBytes = try FileIO.read(values, limit: InputLimits.text)
            let options = MassManufacturing.Options(prefix: prefix, fileID: fileid,
                                                    prefixNumber: prefixNum.count == 2 ? (prefixNum[0], prefixNum[1]) : nil)
            let devices: [MassManufacturing.Device]
            do throws(FormatError) {
                devices = try MassManufacturing.plan(config: configBytes, values: valuesBytes, options: options)
            } catch {
                throw CommandFailure.input(error, file: error.code.rawValue.hasPrefix("mfg.config") ? conf : values)
            }

            let outdir = NVSPaths.expandTilde(outdir)
            // A file can only exist if its folder does (checked once instead of per file).
            let folders = ["csv", "bin"] + (keygen ? ["keys"] : [])
            if folders.contains(where: { FileManager.default.fileExists(atPath: PathText.join(outdir, $0)) }) {
                for d in devices {
                    let p = Self.paths(d, outdir: outdir)
                    for existing in [p.csv, p.bin] + (keygen ? [p.key] : []) where FileManager.default.fileExists(atPath: existing) {
                        throw CommandFailure.io("\(existing) already exists", help: "choose another --outdir or remove the old files")
                    }
                }
            }

            // Files named by `file` rows are read once, here, for all devices.
            var files: [String: [UInt8]] = [:]
            for d in devices {
                for row in d.rows where row[1] == "file" && files[row[3]] == nil { files[row[3]] = try? FileIO.read(row[3]) }
            }
            let loaded = files
            let version = formatVersion.version
            let useKeygen = keygen

            // Generate every image on all cores before writing anything.
            let results = parallelMap(devices.count) { i in
                Result { () throws(FormatError) -> Built in
                    var generator = try NVSGenerator(size: size, version: version)
                    for row in devices[i].generatorRows {
                        do throws(FormatError) {
                            try generator.add(row: row) { path throws(FormatError) in
                                guard let bytes = loaded[path] else { throw FormatError("nvs.file", "cannot read file \(path)") }
                                return bytes
                            }
                        } catch {
                            // The values file has a column per key, not a 'value' column: name the column.
                            var located = error
                            if located.location.field == "value", let key = row.key { located.location.field = key }
                            throw located
                        }
                    }
                    let deviceKeys = useKeygen ? NVSKeys.random() : keys
                    let image = generator.finishedImage()
                    return Built(image: deviceKeys.map { NVSEncryption.encrypt(image, keys: $0) } ?? image, keys: useKeygen ? deviceKeys : nil)
                }
            }
            var built: [Built] = []
            for r in results {
                switch r {
                case .success(let b): built.append(b)
                case .failure(let e): throw CommandFailure.input(e, file: values)
                }
            }

            try Self.write(devices: devices, images: built, outdir: outdir, kinds: ["csv", "bin"] + (keygen ? ["keys"] : []))
            Console.out("Created \(devices.count) NVS binaries in \(PathText.join(outdir, "bin"))\n")
        }
    }

    struct Built: Sendable {
        var image: [UInt8]
        var keys: NVSKeys?
    }

    /// Writes every file into a staging folder inside OUTDIR, then moves it into place: a whole `csv/`, `bin/` or
    /// `keys/` folder with one rename when OUTDIR has none yet, else file by file (each rename is atomic). On
    /// failure the staging folder is removed, so no partial set of files is left behind.
    static func write(devices: [MassManufacturing.Device], images: [Built], outdir: String, kinds: [String]) throws {
        try NVSPaths.createParent(of: PathText.join(outdir, "x"))
        var template = Array(PathText.join(outdir, ".nvs-batch-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw CommandFailure.io("cannot create a folder in \(outdir): \(String(cString: strerror(errno)))")
        }
        let staging = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        for kind in kinds { mkdir(PathText.join(staging, kind), 0o777) }
        // One worker per folder: file creations in one folder serialise on its lock anyway.
        let errors = parallelMap(kinds.count) { k -> String? in
            // The names `paths` gives, built from the folder once.
            let folder = PathText.join(staging, kinds[k]) + "/"
            for i in devices.indices {
                let name = devices[i].baseName
                let error: String? = switch kinds[k] {
                case "csv": writeNew(Array(devices[i].csvText.utf8), to: folder + name + ".csv")
                case "bin": writeNew(images[i].image, to: folder + name + ".bin")
                default: images[i].keys.flatMap { writeNew($0.keyFile, to: folder + "keys-" + name + ".bin") }
                }
                if let error { return error }
            }
            return nil
        }
        if let message = errors.compactMap({ $0 }).first { throw CommandFailure.io(message) }
        for kind in kinds {
            let source = PathText.join(staging, kind), target = PathText.join(outdir, kind)
            if !FileManager.default.fileExists(atPath: target) {
                guard rename(source, target) == 0 else { throw CommandFailure.io("cannot create \(target): \(String(cString: strerror(errno)))") }
                continue
            }
            for name in try FileManager.default.contentsOfDirectory(atPath: source) {
                let to = PathText.join(target, name)
                guard !FileManager.default.fileExists(atPath: to), rename(PathText.join(source, name), to) == 0 else {
                    throw CommandFailure.io("cannot write \(to): it exists or cannot be created")
                }
            }
        }
    }

    /// Creates `path` (which must not exist) and writes `bytes`; returns an error message or nil.
    static func writeNew(_ bytes: [UInt8], to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o666)
        guard fd >= 0 else { return "cannot write \(path): \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                return "cannot write \(path): \(String(cString: strerror(errno)))"
            }
            written += n
        }
        return nil
    }

    static func paths(_ d: MassManufacturing.Device, outdir: String) -> (csv: String, bin: String, key: String) {
        let folder = { (kind: String) in PathText.join(outdir, kind) }
        return (PathText.join(folder("csv"), d.baseName + ".csv"), PathText.join(folder("bin"), d.baseName + ".bin"),
                PathText.join(folder("keys"), "keys-" + d.baseName + ".bin"))
    }
}
