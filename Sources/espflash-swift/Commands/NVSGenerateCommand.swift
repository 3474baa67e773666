import ArgumentParser
import ImageFormats

struct NVSGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Build an NVS partition image from a CSV (esp-idf-nvs-partition-gen 0.3.0 'generate').",
        discussion: """
            INPUT.csv has the header key,type,encoding,value; rows are namespace, data or file entries with the \
            encodings u8, i8, u16, i16, u32, i32, u64, i64, string, hex2bin, base64 and binary. File paths are relative \
            to the current directory. SIZE is a multiple of 4096; from 0x3000 on the image is SIZE bytes with the \
            last page reserved, below it the image is read-only and only holds the used pages.

            Examples:
              espflash-swift nvs generate nvs.csv nvs.bin 0x6000
              espflash-swift nvs generate mfg_nvs.csv mfg_nvs.bin 112K --outdir build
              espflash-swift nvs generate legacy.csv legacy.bin 0x3000 --version 1
            """
    )

    @Argument(help: "CSV input (key,type,encoding,value).") var input: String
    @Argument(help: "Output image (.bin); relative paths go under --outdir.") var output: String
    @Argument(help: "Partition size, a multiple of 4096 (0x3000 or more for read/write NVS).") var size: String
    @Option(name: .customLong("version"), help: "NVS format version: 1 (single-page blobs) or 2 (multi-page blobs).")
    var formatVersion: NVSFormatVersionArgument = .v2
    @Option(help: "Folder for the output.") var outdir: String?

    func run() throws {
        try reportingFailures {
            let size = try NVSPaths.size(size)
            try NVSPaths.requireBinExtension(output, what: "OUTPUT")
            let image = try NVSGenerateCommand.build(input: input, size: size, version: formatVersion.version)
            let path = NVSPaths.output(output, outdir: outdir)
            try NVSPaths.createParent(of: path)
            try FileIO.writeAtomically(image, to: path)
            Console.out("Created NVS binary (format version \(formatVersion.rawValue), \(image.count) bytes): \(path)\n")
        }
    }

    /// Reads and generates, printing warnings; shared with `encrypt`.
    static func build(input: String, size: Int, version: NVSFormat.Version) throws -> [UInt8] {
        let csv = try FileIO.read(input, limit: InputLimits.text)
        do throws(FormatError) {
            let result = try NVSGenerator.generate(csv: csv, size: size, version: version, loadFile: NVSPaths.loadFile)
            Console.warnings(result.warnings, file: input)
            return result.image
        } catch {
            throw CommandFailure.input(error, file: input)
        }
    }
}

struct NVSEncryptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encrypt",
        abstract: "Build an XTS-AES encrypted NVS image (esp-idf-nvs-partition-gen 0.3.0 'encrypt').",
        discussion: """
            Like 'generate', then every used entry is encrypted with XTS-AES-256 (tweak = the entry's address in \
            the partition). With --inputkey the first 64 bytes of KEYS.bin (eky, tky) are the key; with --keygen a \
            new random key file is written to OUTDIR/keys/ (named by --keyfile, default keys-MM-DD_HH-MM.bin).

            Examples:
              espflash-swift nvs encrypt nvs.csv nvs_enc.bin 0x6000 --inputkey nvs_keys.bin
              espflash-swift nvs encrypt nvs.csv nvs_enc.bin 0x6000 --keygen --keyfile dev_keys.bin --outdir out
            """
    )

    @Argument(help: "CSV input (key,type,encoding,value).") var input: String
    @Argument(help: "Output image (.bin); relative paths go under --outdir.") var output: String
    @Argument(help: "Partition size, a multiple of 4096.") var size: String
    @Option(name: .customLong("version"), help: "NVS format version: 1 or 2.") var formatVersion: NVSFormatVersionArgument = .v2
    @Option(help: "Key file to encrypt with (its first 64 bytes).") var inputkey: String?
    @Flag(help: "Generate a new key file.") var keygen = false
    @Option(help: "Name of the generated key file (in OUTDIR/keys/).") var keyfile: String?
    @Option(help: "Folder for the outputs.") var outdir: String?

    func validate() throws {
        if keygen == (inputkey != nil) { throw ValidationError("give exactly one of --keygen and --inputkey") }
        if keyfile != nil && !keygen { throw ValidationError("--keyfile names a generated key; use it with --keygen") }
    }

    func run() throws {
        try reportingFailures {
            let size = try NVSPaths.size(size)
            try NVSPaths.requireBinExtension(output, what: "OUTPUT")
            var keyPath: String?
            let keys: NVSKeys
            if let inputkey {
                try NVSPaths.requireBinExtension(inputkey, what: "key file")
                keys = try NVSPaths.keys(inputkey)
            } else {
                keyPath = try NVSPaths.keyFilePath(keyfile, outdir: outdir)
                keys = NVSKeys.random()
            }
            let plain = try NVSGenerateCommand.build(input: input, size: size, version: formatVersion.version)
            let image = NVSEncryption.encrypt(plain, keys: keys)
            let path = NVSPaths.output(output, outdir: outdir)
            try NVSPaths.createParent(of: path)
            if let keyPath {
                // The key and the image exist together or not at all: a key for an image never written is litter.
                try NVSPaths.createParent(of: keyPath)
                try FileIO.writeAtomically([(keys.keyFile, keyPath), (image, path)])
                Console.out("Created encryption keys: \(keyPath)\n")
            } else {
                try FileIO.writeAtomically(image, to: path)
            }
            Console.out("Created encrypted NVS binary (format version \(formatVersion.rawValue), \(image.count) bytes): \(path)\n")
        }
    }
}

struct NVSDecryptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decrypt",
        abstract: "Decrypt an encrypted NVS image with its key file (esp-idf-nvs-partition-gen 0.3.0 'decrypt').",
        discussion: """
            Every entry that is not all FF is decrypted with its address as the XTS tweak; page headers and \
            bitmaps are copied. decrypt(encrypt(x)) == x.

            Examples:
              espflash-swift nvs decrypt nvs_enc.bin nvs_keys.bin nvs_plain.bin
              espflash-swift nvs decrypt nvs_enc.bin keys/keys-01-31_12-00.bin plain.bin --outdir out
            """
    )

    @Argument(help: "Encrypted image (.bin).") var input: String
    @Argument(help: "Key file (.bin; its first 64 bytes are eky and tky).") var key: String
    @Argument(help: "Decrypted output (.bin).") var output: String
    @Option(help: "Folder for the output.") var outdir: String?

    func run() throws {
        try reportingFailures {
            for (path, what) in [(input, "INPUT"), (key, "KEYS"), (output, "OUTPUT")] { try NVSPaths.requireBinExtension(path, what: what) }
            let keys = try NVSPaths.keys(key)
            let image = try FileIO.read(input)
            guard image.count % NVSFormat.pageSize == 0, !image.isEmpty else {
                throw CommandFailure.input(FormatError("nvs.size", "the image is \(image.count) bytes, not a whole number of 4096-byte pages"), file: input)
            }
            let plain = NVSEncryption.decrypt(image, keys: keys)
            let path = NVSPaths.output(output, outdir: outdir)
            try NVSPaths.createParent(of: path)
            try FileIO.writeAtomically(plain, to: path)
            Console.out("Created NVS decrypted binary: \(path)\n")
        }
    }
}

struct NVSGenerateKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-key",
        abstract: "Write a new NVS encryption key file (esp-idf-nvs-partition-gen 0.3.0 'generate-key').",
        discussion: """
            The file is the 4096-byte nvs_keys partition image: eky (32) | tky (32) | CRC32 | FF padding. It goes to \
            OUTDIR/keys/NAME (default keys-MM-DD_HH-MM.bin). Keys come from the system's cryptographic random source, \
            or, with --key_protect_hmac --kp_hmac_inputkey HMAC.bin, are derived from that HMAC key like the device does.

            Examples:
              espflash-swift nvs generate-key --keyfile nvs_keys.bin
              espflash-swift nvs generate-key --key_protect_hmac --kp_hmac_inputkey hmac_key.bin --keyfile derived.bin
            """
    )

    @Option(help: "Name of the key file (in OUTDIR/keys/).") var keyfile: String?
    @Option(help: "Folder for the keys/ folder.") var outdir: String?
    @Flag(name: .customLong("key_protect_hmac"), help: "Derive the keys from an HMAC key (HMAC-based key protection).")
    var keyProtectHMAC = false
    @Option(name: .customLong("kp_hmac_inputkey"), help: "File with the 32-byte HMAC key.") var hmacInputKey: String?

    func validate() throws {
        if keyProtectHMAC != (hmacInputKey != nil) {
            throw ValidationError("--key_protect_hmac and --kp_hmac_inputkey go together")
        }
    }

    func run() throws {
        try reportingFailures {
            let path = try NVSPaths.keyFilePath(keyfile, outdir: outdir)
            let keys = try hmacInputKey.map { NVSKeys.derived(fromHMACKey: try FileIO.read($0)) } ?? NVSKeys.random()
            try NVSPaths.createParent(of: path)
            try FileIO.writeAtomically(keys.keyFile, to: path)
            Console.out("Created encryption keys: \(path)\n")
        }
    }
}
