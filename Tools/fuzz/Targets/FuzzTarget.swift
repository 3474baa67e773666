import ATCommands
import ImageFormats
import SerialBootloader
import Station
#if canImport(Glibc)
import Glibc
#endif

/// One libFuzzer binary for every parser: `ESPFLASH_FUZZ_TARGET=NAME` picks the `FormatCatalog` entry the inputs go
/// to, and each input is checked by that entry's `checkProperties` (a stable round trip, an exact re-encoding …).
/// A property that fails aborts, so libFuzzer keeps the input as a crash. Built and run by scripts/fuzz.sh.
enum FuzzTarget {
    static let formats: [any FormatDecoder] = FormatCatalog.imageFormats + FormatCatalog.loaderProtocol + FormatCatalog.atCommands
        + FormatCatalog.station

    /// Chosen once, before the first input.
    nonisolated(unsafe) static var selected: (any FormatDecoder)?

    static func select() -> Int32 {
        let names = formats.map(\.formatName)
        guard let name = getenv("ESPFLASH_FUZZ_TARGET").map({ String(cString: $0) }) else {
            say("set ESPFLASH_FUZZ_TARGET to one of: \(names.joined(separator: " "))")
            return 64
        }
        guard let format = FormatCatalog.format(named: name, in: formats) else {
            say("unknown fuzz target '\(name)'; the targets are: \(names.joined(separator: " "))")
            return 64
        }
        selected = format
        return 0
    }

    /// A line on stderr.
    static func say(_ text: String) {
        let line = Array((text + "\n").utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let format = FuzzTarget.selected else { return 0 }
    if let problem = format.checkProperties(bytes) {
        FuzzTarget.say("property failed: \(problem)")
        abort()
    }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<Int32>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// SwiftPM links an executable's `main` to `<module>_main`; this one hands the command line to libFuzzer.
@_cdecl("espflash_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    let status = FuzzTarget.select()
    guard status == 0 else { return status }
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments, fuzzOneInput)
}
