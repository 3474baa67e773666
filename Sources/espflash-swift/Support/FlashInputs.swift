import ArgumentParser
import ImageFormats
import SerialBootloader

/// `-fm/-ff/-fs` as write-flash and verify-flash take them, with esptool's environment defaults
/// (`ESPTOOL_FM`, `ESPTOOL_FF`, `ESPTOOL_FS`).
struct FlashSettingsOptions: ParsableArguments {
    @Option(name: [.customLong("fm", withSingleDash: true), .customLong("flash-mode")], help: "Bootloader header flash mode: keep, qio, qout, dio, dout (env ESPTOOL_FM).")
    var flashMode: String?

    @Option(name: [.customLong("ff", withSingleDash: true), .customLong("flash-freq")], help: "Bootloader header flash frequency: keep, 80m, 40m, 26m, 20m, … as the chip has them (env ESPTOOL_FF).")
    var flashFreq: String?

    @Option(name: [.customLong("fs", withSingleDash: true), .customLong("flash-size")], help: "Flash size: keep, detect, or 1MB…128MB; sets SPI_SET_PARAMS and the header (env ESPTOOL_FS).")
    var flashSize: String?

    func validate() throws {
        if let flashMode, flashMode != "keep", FlashMode(name: flashMode) == nil {
            throw ValidationError("invalid value '\(flashMode)' for --flash-mode (choose from keep, qio, qout, dio, dout)")
        }
        if let flashFreq, flashFreq != "keep", FlashFrequency(name: flashFreq) == nil {
            throw ValidationError("invalid value '\(flashFreq)' for --flash-freq (choose from keep, " + FlashFrequency.choices.map(\.name).joined(separator: ", ") + ")")
        }
        if let flashSize, FlashSizeChoice(argument: flashSize) == nil {
            throw ValidationError("invalid value '\(flashSize)' for --flash-size (choose from keep, detect, " + FlashSize.choices.joined(separator: ", ") + ")")
        }
    }

    /// The settings: the command line, then a `--config` file's, then the environment, then `keep`. Checked
    /// against `chip` when it is known (a frequency the chip does not have is refused before connecting).
    func resolved(config: FlashConfigInput?, chip: Chip?) throws -> (mode: FlashMode?, frequency: FlashFrequency?, size: FlashSizeChoice) {
        let env = { (name: String) in EsptoolDefaults.environment(name) }
        let modeText = flashMode ?? config?.file.flash.mode?.rawValue ?? env("ESPTOOL_FM") ?? "keep"
        let freqText = flashFreq ?? config?.file.flash.frequency?.name ?? env("ESPTOOL_FF") ?? "keep"
        let sizeText = flashSize ?? config?.file.flash.size?.name ?? (config?.file.detectSize == true ? "detect" : nil) ?? env("ESPTOOL_FS") ?? "keep"
        let mode: FlashMode? = modeText == "keep" ? nil : FlashMode(name: modeText)
        if modeText != "keep", mode == nil { throw CommandFailure.usage("ESPTOOL_FM: '\(modeText)' is not a flash mode (keep, qio, qout, dio, dout)") }
        let frequency: FlashFrequency? = freqText == "keep" ? nil : FlashFrequency(name: freqText)
        if freqText != "keep", frequency == nil { throw CommandFailure.usage("ESPTOOL_FF: '\(freqText)' is not a flash frequency") }
        guard let size = FlashSizeChoice(argument: sizeText) else { throw CommandFailure.usage("ESPTOOL_FS: '\(sizeText)' is not a flash size") }
        if let chip, let frequency, frequency.headerCode(for: chip) == nil {
            throw CommandFailure.usage("the \(chip.displayName) has no flash frequency \(frequency) (it has "
                                       + chip.flashFrequencies.map(\.name).joined(separator: ", ") + ")")
        }
        return (mode, frequency, size)
    }
}

/// A `--config FILE`: an esp-at `download.config`, an ESP-IDF `flash_args`/`flash_project_args` or a
/// `flasher_args.json`; its files are resolved against the file's folder (merge-bin, write-flash, verify-flash).
struct FlashConfigInput {
    let path: String
    let file: FlashConfigFile

    init(_ path: String) throws {
        self.path = path
        file = try InputFile.decode(path, limit: InputLimits.text, with: FlashConfigFile.init(parsing:))
        Console.warnings(file.warnings, file: path)
    }

    /// The config's `ADDR FILE` pairs with paths as they can be opened from here.
    var pairs: [(address: Int, path: String)] {
        let base = PathText.parent(path)
        return file.entries.map { entry in (entry.address, entry.path.hasPrefix("/") ? entry.path : PathText.join(base, entry.path)) }
    }

    /// `CONFIG:LINE` where the file lists `entry`, for messages about the file it names.
    func place(of entry: FlashConfigFile.Entry) -> String { path + (entry.line.map { ":\($0)" } ?? "") }

    /// Reads a file the config lists; a failure names where it is listed.
    func read(_ file: String, listedIn entry: FlashConfigFile.Entry) throws -> [UInt8] {
        do { return try FileIO.read(file) } catch let failure as CommandFailure {
            throw CommandFailure(exitCode: failure.exitCode, message: "\(place(of: entry)): \(failure.message)", help: failure.help)
        }
    }

    /// The files it lists, read; one that cannot be read is named with the line listing it.
    func images() throws -> [FlashImage] {
        try zip(file.entries, pairs).map { entry, pair in
            FlashImage(address: pair.address, data: try read(pair.path, listedIn: entry), name: pair.path)
        }
    }

    /// Runs `body` (checks of the images); a failure about a file this config lists (`FILE: …`) is prefixed with
    /// the line listing it.
    func locating<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            let failure = CommandFailure(error)
            guard let entry = zip(file.entries, pairs).first(where: { failure.message.hasPrefix($0.1.path + ":") })?.0 else { throw failure }
            throw CommandFailure(exitCode: failure.exitCode, message: "\(place(of: entry)): \(failure.message)", help: failure.help)
        }
    }

    /// A config that lists nothing, with nothing else to write, is refused rather than connecting for nothing.
    func requireFiles(besides pairs: [String]) throws {
        guard file.entries.isEmpty, pairs.isEmpty else { return }
        throw CommandFailure(exitCode: ExitStatus.badInput, message: "\(path): lists no ADDR FILE pairs")
    }

    /// The chip it names (flasher_args.json), when it names one this tool knows.
    var chip: Chip? { file.chip.flatMap(Chip.named) }
}

/// Checks before connecting that the files fit a flash of `size` (known from `-fs`).
enum FlashFit {
    static func check(_ images: [FlashImage], size: FlashSizeChoice) throws {
        guard case .fixed(let flash) = size else { return }
        for image in images where image.address + image.data.count > flash.bytes {
            throw CommandFailure(exitCode: ExitStatus.badInput,
                                 message: "\(image.name): \(image.data.count) bytes at \(hexAddress(image.address)) end at "
                                     + "\(hexAddress(image.address + image.data.count)), past the end of the \(flash) flash (-fs \(flash))",
                                 help: "give the chip's real size with -fs, or leave -fs out to use the detected size")
        }
    }
}
