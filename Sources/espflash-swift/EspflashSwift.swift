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

            esptool's command lines work as typed: connection options before or after the command, @FILE \
            (ESP-IDF's flash_args), ESPTOOL_* and esptool.cfg defaults, v4 underscore spellings (with a note).

            Example:
              espflash-swift partition-table at_customize.csv -o at_customize.bin
            """,
        subcommands: [
            PartitionTableCommand.self, NVSCommand.self, FactoryParamCommand.self, BLEServiceCommand.self,
            PKICommand.self, MergeBinCommand.self, ImageInfoCommand.self, EmulateCommand.self,
            BoardInfoCommand.self, WriteFlashCommand.self, ReadFlashCommand.self, VerifyFlashCommand.self,
            EraseRegionCommand.self, EraseFlashCommand.self, ReadMACCommand.self, FlashIDCommand.self, ChipIDCommand.self,
            GetSecurityInfoCommand.self, ReadMemCommand.self, WriteMemCommand.self, DumpMemCommand.self,
            ReadFlashStatusCommand.self, WriteFlashStatusCommand.self, ReadFlashSFDPCommand.self, LoadRAMCommand.self,
            RunCommand.self, ListPortsCommand.self, VersionCommand.self, ImageCommand.self, ATCommand.self, StationCommand.self,
        ]
    )

    static func main() {
        // A dropped socket or a closed stdout pipe is an error to report (EPIPE), never a silent death by SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let given = Array(CommandLine.arguments.dropFirst())
        // Only a lone --version prints the version: `image-info --version 2 FILE` is an unknown option, not a version print.
        if given == ["--version"] {
            Console.out(VersionCommand.version + "\n")
            return
        }
        var esptool = EsptoolCommandLine(commands: CommandTree(EspflashSwift.self))
        let arguments: [String]
        do { arguments = try esptool.rewrite(given) } catch {
            let failure = CommandFailure(error)
            Console.error(failure.message)
            if let help = failure.help { Console.help(help) }
            Glibc.exit(failure.exitCode)
        }
        for note in esptool.notes { Console.warning(note) }
        Console.argumentOrigins = esptool.origins
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            report(error, arguments: arguments)
        }
    }

    /// Ends the process for an error out of parsing or running: help and version go to stdout (exit 0); a usage
    /// error is one `error:` line naming the problem and a `help:` line with the usage (exit 64); a command's own
    /// failure was already reported and only sets the exit code.
    static func report(_ error: any Error, arguments: [String]) -> Never {
        let code = exitCode(for: error)
        let message = self.message(for: error)
        if code == .success {
            Console.out(fullMessage(for: error) + "\n")
            Glibc.exit(0)
        }
        if !message.isEmpty {
            let first = message.prefix(1).lowercased() + message.dropFirst()
            Console.error(first)
            let path = CommandTree(EspflashSwift.self).commandPath(of: arguments)
            Console.help("see 'espflash-swift \(path.isEmpty ? "" : path.joined(separator: " ") + " ")--help'")
        }
        Glibc.exit(code.rawValue)
    }
}
