import ATCommands
import ImageFormats
import TestSupport
import Testing

/// The AT response stream through its `FormatDecoder` entry (fuzz target at-stream): seeds and regression cases
/// keep their properties, and a reply is taken by the exchange it answers.
@Suite struct ATStreamFormatTests {
    @Test func seedsAndRegressionCasesKeepTheirProperties() {
        #expect(!FuzzCases.seeds("at-stream").isEmpty)
        #expect(FuzzCases.failures(FormatCatalog.atCommands) == [])
    }

    @Test func aSysflashReplyIsOnePayloadAndAResponse() throws {
        let reading = try ATStreamFormat().decode([0x01] + Array("+SYSFLASH:4,OK\r\n\r\nOK\r\n".utf8))
        #expect(reading.events == [.payload(prefix: "+SYSFLASH", bytes: Array("OK\r\n".utf8)), .line("OK")])
        guard case .finished(let response) = reading.steps.last else { Issue.record("no response"); return }
        #expect(response.status == .ok && response.payload == Array("OK\r\n".utf8))
    }
}
