import ArgumentParser
import ImageFormats

/// `espflash-swift nvs …`: NVS partition images, compatible with esp-idf-nvs-partition-gen 0.3.0 and mfg_gen.py.
struct NVSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nvs",
        abstract: "Generate, encrypt, decrypt and inspect NVS partition images (esp-idf-nvs-partition-gen 0.3.0 compatible).",
        discussion: EsptoolSpelling.discussion("nvs", """
            Output bytes are identical to esp-idf-nvs-partition-gen 0.3.0 (and ESP-IDF's mfg_gen.py for 'batch'). \
            Where the original crashes, exits 0 on a bad size or leaves an empty file, these commands print an error \
            naming the CSV line and write nothing.

            Examples:
              espflash-swift nvs generate nvs.csv nvs.bin 0x6000
              espflash-swift nvs encrypt nvs.csv nvs_enc.bin 0x6000 --inputkey keys/nvs_keys.bin
              espflash-swift nvs inspect nvs.bin --json
              espflash-swift nvs batch --conf config.csv --values values.csv --size 0x3000 --prefix dev
            """),
        subcommands: [
            NVSGenerateCommand.self, NVSEncryptCommand.self, NVSDecryptCommand.self, NVSGenerateKeyCommand.self,
            NVSInspectCommand.self, NVSBatchCommand.self,
        ]
    )
}

/// `--version 1|2` of the NVS commands (format version, not the program version).
enum NVSFormatVersionArgument: String, ExpressibleByArgument, CaseIterable {
    case v1 = "1"
    case v2 = "2"

    var version: NVSFormat.Version { self == .v1 ? .v1 : .v2 }
}

/// Path rules shared by the NVS commands (0.3.0 `set_target_filepath`).
enum NVSPaths {
    /// SIZE as 0.3.0 reads it (`int(x, 0)`), plus the K/M suffixes the other commands take.
    static func size(_ text: String) throws -> Int {
        guard let value = IntegerText.sizeOrAddress(text) else {
            throw CommandFailure.usage("SIZE '\(text)' is not a number", help: "give the partition size, like 0x6000 or 24K")
        }
        do throws(FormatError) { try InputLimits.checkFlashExtent(value, "SIZE") } catch {
            throw CommandFailure.usage(error.message, help: error.help)
        }
        return value
    }

    /// 0.3.0 accepts only file names whose extension contains `.bin`.
    static func requireBinExtension(_ path: String, what: String) throws {
        let ext = PathText.pathExtension(path)
        guard !ext.isEmpty, ("." + ext).contains(".bin") else {
            throw CommandFailure.usage("\(what) '\(path)' must have a .bin extension", help: "esp-idf-nvs-partition-gen accepts only .bin files")
        }
    }

    /// OUTPUT under `--outdir` (default: the current directory); absolute paths ignore `--outdir`.
    static func output(_ path: String, outdir: String?) -> String {
        if path.hasPrefix("/") { return path }
        guard let outdir else { return path }
        return PathText.join(expandTilde(outdir), path)
    }

    static func expandTilde(_ path: String) -> String { PathText.expandingTilde(path) }

    /// Creates the folders an output goes into (0.3.0 creates them too); called only once the output is ready.
    static func createParent(of path: String) throws {
        let parent = PathText.parent(path)
        guard !parent.isEmpty else { return }
        try FileIO.createDirectory(parent)
    }

    /// Reads a `file` row's path relative to the current directory, as a located format error on failure.
    static func loadFile(_ path: String) throws(FormatError) -> [UInt8] {
        do { return try FileIO.read(path) } catch let failure as CommandFailure {
            throw FormatError("nvs.file", failure.message.replacing("cannot read ", with: "cannot read file "))
        } catch {
            throw FormatError("nvs.file", "cannot read file \(path)")
        }
    }

    /// Reads and checks a key file given with `--inputkey`/`--key`.
    static func keys(_ path: String) throws -> NVSKeys {
        try InputFile.decode(path, with: NVSKeys.init(keyFile:))
    }

    /// `keys-MM-DD_HH-MM.bin`, the name 0.3.0 gives a generated key file without `--keyfile`.
    static func defaultKeyFileName() -> String { "keys-" + PathText.localMonthDayHourMinute() + ".bin" }

    /// `--keyfile NAME` with `.bin` appended when it has no extension; placed in `<outdir>/keys/`.
    static func keyFilePath(_ name: String?, outdir: String?) throws -> String {
        var file = name ?? defaultKeyFileName()
        if PathText.pathExtension(file).isEmpty { file += ".bin" }
        try requireBinExtension(file, what: "key file")
        if file.hasPrefix("/") { return file }
        return PathText.join(PathText.join(expandTilde(outdir ?? "."), "keys"), file)
    }
}
