import Testing
import ImageFormats

struct MassManufacturingTests {
    /// The NVS generator drops a row whose key starts with `#` as a comment, by code point: so a key of `#` and a
    /// combining mark (one Swift Character, not equal to "#") is refused too.
    @Test(arguments: ["#k", "#\u{301}k"])
    func aConfigKeyStartingWithAHashIsRefused(_ key: String) throws {
        let config = "app,namespace,\n\(key),data,u8\n"
        let error = #expect(throws: FormatError.self) { try MassManufacturing.config(Array(config.utf8)) }
        #expect(error?.code == "mfg.config.key" && error?.location.line == 2, "\(String(describing: error))")
        let fine = try MassManufacturing.config(Array("app,namespace,\nk\u{301}#,data,u8\n".utf8))
        #expect(fine.map(\.key) == ["app", "k\u{301}#"])
    }
}
