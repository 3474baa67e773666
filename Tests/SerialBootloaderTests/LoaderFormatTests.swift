import ImageFormats
import SerialBootloader
import TestSupport
import Testing

/// The ROM loader protocol's parsers through their `FormatDecoder` entries (the fuzz targets slip-stream,
/// loader-request, loader-reply): seeds and regression cases keep their properties.
@Suite struct LoaderFormatTests {
    @Test func seedsAndRegressionCasesKeepTheirProperties() {
        for format in FormatCatalog.loaderProtocol { #expect(!FuzzCases.seeds(format.formatName).isEmpty, "\(format.formatName)") }
        #expect(FuzzCases.failures(FormatCatalog.loaderProtocol) == [])
    }

    @Test func aRequestRoundTripsThroughItsFrame() throws {
        let request = LoaderRequest.spiFlashMD5(offset: 0x1000, size: 0x2000)
        let format = LoaderRequestFormat()
        #expect(try format.decode(try format.encode(request)) == request)
        #expect(throws: FormatError("loader.not_request", "")) { try format.decode([1, 8, 0, 0, 0, 0, 0, 0]) }
    }
}
