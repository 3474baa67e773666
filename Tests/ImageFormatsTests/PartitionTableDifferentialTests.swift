import ImageFormats
import Testing

/// Seeded random tables (Tools/make-partition-differential.py) whose expected binaries and CSVs were made by
/// ESP-IDF v5.5 gen_esp32part.py; see Fixtures/partition/differential/README.md.
@Suite struct PartitionTableDifferentialTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var valid: Bool
        var arguments: [String]
        var message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        guard let manifest = try? Fixtures.text("partition/differential/manifest.tsv") else { return [] }
        return manifest.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 3 else { return nil }
            return Case(name: fields[0], valid: fields[1] == "valid",
                        arguments: fields[2].split(separator: " ").map(String.init),
                        message: fields.count > 3 ? fields[3] : "")
        }
    }()

    static func options(_ arguments: [String]) -> PartitionTableOptions {
        var options = PartitionTableOptions()
        var i = 0
        while i < arguments.count {
            let value = i + 1 < arguments.count ? arguments[i + 1] : ""
            switch arguments[i] {
            case "--offset": options.tableOffset = IntegerText.sizeOrAddress(value)!; i += 1
            case "--disable-md5sum": options.md5 = false
            case "--flash-size": options.flashSize = IntegerText.sizeOrAddress(value)!; i += 1
            case "--primary-bootloader-offset": options.primaryBootloaderOffset = IntegerText.sizeOrAddress(value)!; i += 1
            case "--recovery-bootloader-offset": options.recoveryBootloaderOffset = IntegerText.sizeOrAddress(value)!; i += 1
            case "--secure": options.secure = SecureBootVersion(rawValue: value); i += 1
            case "--no-verify": options.verify = false
            default: break
            }
            i += 1
        }
        return options
    }

    @Test func thereAreEnoughCases() {
        #expect(Self.cases.filter(\.valid).count >= 200)
    }

    @Test(arguments: cases.filter(\.valid))
    func sameBytesAsGenEsp32part(_ c: Case) throws {
        let options = Self.options(c.arguments)
        let csv = try Fixtures.bytes("partition/differential/\(c.name).csv")
        let loaded = try PartitionTable.load(csv, options: options)
        let expected = try Fixtures.bytes("partition/differential/\(c.name).bin")
        #expect(try loaded.table.encoded(md5: options.md5) == expected)
        // gen_esp32part prints name warnings even with -q; ours must be the same ones.
        let printed = (try? Fixtures.text("partition/differential/\(c.name).stderr")) ?? ""
        let theirs = printed.split(separator: "\n").filter { $0.hasPrefix("WARNING: ") }.map { String($0.dropFirst(9)) }
        #expect(loaded.warnings.map(\.message) == theirs)

        // And back: gen_esp32part's bin → CSV text.
        var readOptions = options
        readOptions.md5 = true
        readOptions.flashSize = nil
        let back = try PartitionTable.load(expected, options: readOptions)
        #expect(try back.table.csv() == (try Fixtures.text("partition/differential/\(c.name).roundtrip.csv")))
    }

    @Test(arguments: cases.filter { !$0.valid })
    func sameRefusalsAsGenEsp32part(_ c: Case) throws {
        let options = Self.options(c.arguments)
        let csv = try Fixtures.bytes("partition/differential/\(c.name).csv")
        #expect(throws: FormatError.self) {
            let loaded = try PartitionTable.load(csv, options: options)
            _ = try loaded.table.encoded(md5: options.md5)
        }
    }
}
