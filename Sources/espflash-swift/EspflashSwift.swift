import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

@main
struct EspflashSwift: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "espflash-swift",
        abstract: "Build, inspect and flash ESP32 AT firmware artifacts.",
        discussion: """
            Exit codes: 0 success, 1 operation failed, 2 bad input data, 64 usage error, 74 I/O error.

            Example:
              espflash-swift partition-table at_customize.csv -o at_customize.bin
            """,
        version: "0.1.0",
        subcommands: [
            PartitionTableCommand.self, NVSCommand.self, FactoryParamCommand.self, BLEServiceCommand.self,
            PKICommand.self, MergeBinCommand.self, ImageInfoCommand.self, EmulateCommand.self,
            BoardInfoCommand.self, WriteFlashCommand.self, ReadFlashCommand.self, VerifyFlashCommand.self,
            EraseRegionCommand.self, EraseFlashCommand.self, ImageCommand.self, ATCommand.self, StationCommand.self,
        ]
    )

    static func main() {
        // A dropped socket or a closed stdout pipe is an error to report (EPIPE), never a silent death by SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        main(nil)
    }
}
