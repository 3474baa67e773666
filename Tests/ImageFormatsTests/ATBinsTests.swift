import Foundation
import ImageFormats
import Testing

/// Reads a tab-separated manifest: one case per line, cells split on tabs.
private func manifest(_ path: String) -> [[String]] {
    guard let text = try? Fixtures.text(path) else { return [] }
    return text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
}

private func layout(_ path: String) throws -> FactoryParamLayout {
    try FactoryParamLayout.parseTypeCSV(try Fixtures.text(path))
}

/// The esp-at vectors (shared/vectors/esp-at, made with the original scripts; see Fixtures/esp-at/README.md).
@Suite struct ATBinsVectorTests {
    @Test(arguments: ["one", "small", "GattServiceExample", "example"])
    func bleServiceVectorsAreByteIdentical(_ name: String) throws {
        let text = try Fixtures.text("esp-at/ble_data/in/\(name).csv")
        let expected = try Fixtures.bytes("esp-at/ble_data/\(name).bin")
        try expectBLEServiceResult(text, expected)
    }

    @Test func examplePartitionSizeMatchesTheDocumentedLength() throws {
        // esp-at docs: AT+SYSFLASH=1,"ble_data",0,6487 for the default example.csv.
        #expect(try Fixtures.bytes("esp-at/ble_data/example.bin").count == 6487)
    }

    @Test func python2BleOutputDecodesToTheSameAttributes() throws {
        let py3 = try BLEServiceTable.decode(try Fixtures.bytes("esp-at/ble_data/small.bin")).table
        let py2 = try BLEServiceTable.decode(try Fixtures.bytes("esp-at/ble_data/small_py2_v1.0.bin")).table
        #expect(py2.attributes == py3.attributes)
        #expect(py2.keyOrder != py3.keyOrder)
    }

    @Test(arguments: manifest("esp-at/pki/commands.tsv"))
    func pkiVectorsAreByteIdentical(_ row: [String]) throws {
        let words = row[1].split(separator: " ").map(String.init)
        var inputs: [(kind: PKIBundle.Kind, content: [UInt8], source: String)] = []
        for i in stride(from: 0, to: words.count, by: 2) {
            inputs.append((PKIBundle.Kind(word: words[i])!, try Fixtures.bytes("esp-at/pki/" + words[i + 1]), words[i + 1]))
        }
        let expected = try Fixtures.bytes("esp-at/pki/\(row[0]).bin")
        let bundle = try PKIBundle.assemble(inputs)
        #expect(try bundle.encoded() == expected)
        let decoded = try PKIBundle.decode(expected)
        #expect(decoded.bundle.items.map(\.content) == bundle.items.map(\.content))
        #expect(decoded.bundle.items.map(\.kind) == bundle.items.map(\.kind))
        #expect(decoded.bundle.items.map(\.id) == bundle.items.map(\.id))
        #expect(decoded.warnings.isEmpty)
    }

    @Test func python2PkiGroupOrderDecodes() throws {
        let decoded = try PKIBundle.decode(try Fixtures.bytes("esp-at/pki/mixed_py2_v1.0.bin"))
        #expect(decoded.bundle.items.map(\.kind.rawValue) == [2, 2, 1, 1, 3, 3])
    }

    @Test func certificatesAndKeysAreDescribed() throws {
        let decoded = try PKIBundle.decode(try Fixtures.bytes("esp-at/pki/mixed.bin"))
        let (contents, warnings) = decoded.bundle.describe()
        #expect(warnings.isEmpty)
        #expect(contents.map(\.kind) == [.certificate, .certificate, .privateKey, .privateKey, .certificate, .certificate])
        #expect(contents.allSatisfy { $0.keyType == "EC P-256" })
        #expect(contents[0].subject != nil && contents[0].issuer != nil && contents[0].notValidAfter != nil)
        #expect(contents[0].matches(contents[2]) == true)   // server.crt / server.key
        #expect(contents[0].matches(contents[3]) == false)  // server.crt / client.key
        let der = try PKIBundle.decode(try Fixtures.bytes("esp-at/pki/client_cert_der.bin")).bundle.describe().contents[0]
        #expect(der.encoding == "DER" && der.kind == .certificate)
    }

    @Test func mismatchedCertificateAndKeyWarn() throws {
        let bundle = try PKIBundle.assemble([
            (.cert, try Fixtures.bytes("esp-at/pki/in/server.crt"), "server.crt"),
            (.key, try Fixtures.bytes("esp-at/pki/in/client.key"), "client.key"),
        ])
        #expect(bundle.describe().warnings.contains { $0.message.contains("does not belong") })
    }

    @Test func pkiRefusesItemsOver65535Bytes() throws {
        #expect(throws: FormatError.self) {
            try PKIBundle.assemble([(.cert, [UInt8](repeating: 0x41, count: 65536), "big.pem")])
        }
        #expect(try PKIBundle.assemble([(.cert, [UInt8](repeating: 0x41, count: 65535), "max.pem")]).encoded().count == 8 + 4 + 65535 + 1)
    }

    @Test func legacyCertTypedCaIsAccepted() throws {
        let decoded = try PKIBundle.decode(try Fixtures.bytes("esp-at/pki/legacy_cert_typed_ca.bin"))
        #expect(decoded.bundle.items.first?.kind == .cert)
        #expect(decoded.bundle.describe().warnings.isEmpty)
    }

    @Test(arguments: manifest("esp-at/factory_param/commands.tsv"))
    func factoryParamVectorsAreByteIdentical(_ row: [String]) throws {
        let (name, version, module, platform, flags) = (row[0], row[1], row[2], row[3], row[4])
        let types = try layout("esp-at/factory_param/in/factory_param_type_\(version).csv")
        let data = try FactoryParamData.parse(try Fixtures.text("esp-at/factory_param/in/factory_param_data_\(version).csv"))
        let selected = try data.row(module: module, platform: platform.isEmpty ? nil : platform)
        let options = FactoryParamImage.Options(legacyOctal: flags.contains("--legacy-octal"))
        let expected = try Fixtures.bytes("esp-at/factory_param/\(name).bin")
        #expect(try FactoryParamImage.build(selected, data: data, layout: types, options: options).bytes == expected)
        // Recognised without the type CSV, and the fields read back as written.
        let decoded = try FactoryParamImage.decode(expected, layout: nil)
        #expect(decoded.version == (version == "v1.2" ? 1 : 3))
        try expectSameFacts(decoded, row: selected, data: data, legacyOctal: options.legacyOctal)
    }

    @Test func octalIsRefusedWithoutTheFlag() throws {
        let types = try layout("esp-at/factory_param/in/factory_param_type_v2.4.csv")
        let data = try FactoryParamData.parse(try Fixtures.text("esp-at/factory_param/in/factory_param_data_v2.4.csv"))
        let error = #expect(throws: FormatError.self) {
            try FactoryParamImage.build(try data.row(module: "MY_MODULE", platform: nil), data: data, layout: types)
        }
        #expect(error?.location.field == "start_channel")
        #expect(error?.location.line == 13)
    }
}

/// Every data cell that the layout stores reads back from the image: integers modulo the field width, strings as text.
func expectSameFacts(_ decoded: FactoryParamImage.Decoded, row: FactoryParamData.Row, data: FactoryParamData, legacyOctal: Bool,
                     sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    var checked = 0
    for field in decoded.fields {
        guard let column = data.header.firstIndex(of: field.field.name), !(data.isV1Form && column == 0) else { continue }
        let cell = row.cells[column].trimmingWhitespace()
        switch field.value {
        case .integer:
            var text = Substring(cell)
            var radix = 10
            if text.lowercased().hasPrefix("0x") { text = text.dropFirst(2); radix = 16 } else if legacyOctal, text.hasPrefix("0"), text.count > 1 { radix = 8 }
            let value = Int(text, radix: radix)!
            let modulus = 1 << (8 * field.field.size)
            #expect(field.unsigned == ((value % modulus) + modulus) % modulus, "\(field.field.name)", sourceLocation: sourceLocation)
        case .string(let s, _):
            #expect(s == row.cells[column], "\(field.field.name)", sourceLocation: sourceLocation)
        }
        checked += 1
    }
    #expect(checked > 5, sourceLocation: sourceLocation)
}

/// Seeded random inputs with outputs of the original scripts (Tools/make-at-bins-fixtures.py,
/// Fixtures/esp-at/generated/README.md).
@Suite struct ATBinsGeneratedTests {
    static let ble = manifest("esp-at/generated/ble/manifest.tsv").map { $0[0] }
    static let pki = manifest("esp-at/generated/pki/manifest.tsv")
    static let factory = manifest("esp-at/generated/factory_param/manifest.tsv")

    @Test func thereAreEnoughCases() {
        #expect(Self.ble.count >= 100)
        #expect(Self.pki.count >= 100)
        #expect(Self.factory.count >= 100)
        #expect(Set(Self.factory.map { $0[1] }) == ["v24", "v21", "v12"])
    }

    @Test(arguments: ble)
    func bleServiceMatchesBLEServicePy(_ name: String) throws {
        try expectBLEServiceResult(try Fixtures.text("esp-at/generated/ble/\(name).csv"), try Fixtures.bytes("esp-at/generated/ble/\(name).bin"))
    }

    @Test func mostGeneratedBLETablesAreCompared() throws {
        let compared = try Self.ble.filter { try BLEServiceFixtureRows.linesReadingPastTheValue(try Fixtures.text("esp-at/generated/ble/\($0).csv")).isEmpty }
        #expect(compared.count >= 50, "only \(compared.count) generated tables are byte-compared")
    }

    @Test(arguments: pki)
    func pkiMatchesAtPKIPy(_ row: [String]) throws {
        let words = row[1].split(separator: " ").map(String.init)
        var inputs: [(kind: PKIBundle.Kind, content: [UInt8], source: String)] = []
        for i in stride(from: 0, to: words.count, by: 2) {
            inputs.append((PKIBundle.Kind(word: words[i])!, try Fixtures.bytes("esp-at/generated/pki/" + words[i + 1]), words[i + 1]))
        }
        let expected = try Fixtures.bytes("esp-at/generated/pki/\(row[0]).bin")
        #expect(try PKIBundle.assemble(inputs).encoded() == expected)
        #expect(try PKIBundle.decode(expected).bundle.items.map(\.content) == PKIBundle.assemble(inputs).items.map(\.content))
    }

    @Test(arguments: factory)
    func factoryParamMatchesGenerator(_ row: [String]) throws {
        let (name, label, module, platform) = (row[0], row[1], row[2], row[3])
        let types = try layout("esp-at/generated/factory_param/types_\(label).csv")
        let data = try FactoryParamData.parse(try Fixtures.text("esp-at/generated/factory_param/\(name).csv"))
        let selected = try data.row(module: module, platform: platform.isEmpty ? nil : platform)
        var expected = try Fixtures.bytes("esp-at/generated/factory_param/\(name).bin")
        expected += [UInt8](repeating: 0xFF, count: FactoryParamLayout.imageSize - expected.count)
        #expect(try FactoryParamImage.build(selected, data: data, layout: types).bytes == expected)
        try expectSameFacts(try FactoryParamImage.decode(expected, layout: types), row: selected, data: data, legacyOctal: false)
    }
}

/// What BLEService.py builds, unless a row has val_cur_len beyond its value (the firmware would read past the
/// value): that is refused, naming the first such row. Otherwise the bytes equal BLEService.py's and decode back.
func expectBLEServiceResult(_ text: String, _ expected: [UInt8], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    if let line = BLEServiceFixtureRows.linesReadingPastTheValue(text).first {
        let error = #expect(throws: FormatError.self, sourceLocation: sourceLocation) { _ = try BLEServiceTable.parseCSV(text) }
        #expect(error?.location.line == line && error?.location.field == "val_cur_len", "\(String(describing: error))", sourceLocation: sourceLocation)
        return
    }
    let parsed = try BLEServiceTable.parseCSV(text)
    #expect(try parsed.table.encoded() == expected, sourceLocation: sourceLocation)
    // Round trip: the bin decodes to the same table (key order included).
    #expect(try BLEServiceTable.decode(expected).table == parsed.table, sourceLocation: sourceLocation)
}

enum BLEServiceFixtureRows {
    /// Lines whose val_cur_len exceeds the bytes of their value (an odd digit count makes one byte more).
    static func linesReadingPastTheValue(_ text: String) -> [Int] {
        let records = PythonCSV.records(text)
        guard let header = records.first else { return [] }
        let column = { (name: String) in header.fields.firstIndex(of: name) }
        var lines: [Int] = []
        for record in records.dropFirst() where !record.isBlank {
            if record.isAllEmpty { break }
            func cell(_ name: String) -> String { column(name).flatMap { $0 < record.fields.count ? record.fields[$0] : nil } ?? "" }
            let current = Int(cell("val_cur_len").trimmingCharacters(in: .whitespaces)) ?? 0
            if current > (cell("value").count + 1) / 2 { lines.append(record.line) }
        }
        return lines
    }
}
