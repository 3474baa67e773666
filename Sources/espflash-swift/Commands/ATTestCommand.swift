import ArgumentParser
import ATCommands
import ImageFormats

struct ATTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Check a flashed module over AT: boots to ready, AT answers, version, partitions, MAC, UART settings.",
        discussion: """
            Checks, each reported: ready (seen after power-on, else AT+RST and wait), at (AT answers OK), version \
            (AT+GMR's AT version number, whole AT version text or Bin version equals --expect-version), layout \
            (AT+SYSFLASH? lists exactly the entries of --layout, an at_customize.bin or its CSV), mac (AT+CIPSTAMAC? \
            equals --expect-mac, the MAC read in download mode), uart (AT+UART_DEF?'s baud rate is factory_param's, \
            AT+UART_CUR?'s real rate within 3 % of it, flow control only with its pins). Exit 1 when one fails.

            Examples:
              espflash-swift at test -p /dev/ttyUSB1 --expect-version 2.4.0.0 --layout at_customize.bin --expect-mac 24:0a:c4:5e:00:01
              espflash-swift at test -p "virtual://esp32?flash=chip.bin" --json
            """
    )

    @OptionGroup var port: ATPortOptions
    @Option(name: .customLong("expect-version"), help: "The AT version (2.4.0.0), whole AT version text, or Bin version.") var expectVersion: String?
    @Option(help: "at_customize.bin (or its CSV) the module must list.") var layout: String?
    @Option(name: .customLong("expect-mac"), help: "The station MAC, as download mode reads it (24:0a:c4:…).") var expectMAC: String?

    func validate() throws {
        if let expectMAC, MACAddress.parse(expectMAC) == nil { throw ValidationError("--expect-mac '\(expectMAC)' is not a MAC like 24:0a:c4:5e:00:01") }
    }

    func run() throws {
        try reportingFailures {
            var expect = ATModuleTest.Expectations(version: expectVersion, mac: expectMAC.flatMap(MACAddress.parse))
            if let layout {
                expect.layout = try InputFile.decode(layout) { bytes throws(FormatError) in
                    try PartitionTable.load(bytes, options: PartitionTableOptions()).table.entries
                }
            }
            let reporter = ProgressReporter(json: port.json)
            let link = try ATLink(port, reporter: reporter)
            var test = ATModuleTest(client: link.client)
            test.onRetry = { attempt, error in
                reporter.event("retry", [("attempt", .int(attempt)), ("reason", .string(error.description))])
            }
            test.onCheck = { check in
                reporter.event("check", [("name", .string(check.name.rawValue)), ("passed", .bool(check.passed)), ("detail", .string(check.detail))])
                reporter.say("\(check.passed ? "PASS" : "FAIL") \(check.name.rawValue.padded(8)) \(check.detail)")
            }
            let checks = test.run(expect)
            let failed = checks.filter { !$0.passed }
            reporter.event("result", [("ok", .bool(failed.isEmpty)), ("port", .string(link.portText)),
                                      ("checks", .array(checks.map { .object([("name", .string($0.name.rawValue)), ("passed", .bool($0.passed)), ("detail", .string($0.detail))]) })),
                                      ("failed", .array(failed.map { .string($0.name.rawValue) }))]
                           + (failed.isEmpty ? [] : [("stage", .string("test")), ("error", .string(failed.map(\.name.rawValue).joined(separator: ", ") + " failed"))]))
            link.close()
            if !failed.isEmpty {
                Console.error("\(failed.count) of \(checks.count) checks failed: " + failed.map(\.name.rawValue).joined(separator: ", "))
                throw ExitCode(ExitStatus.operationFailed)
            }
            reporter.say("All \(checks.count) checks passed")
        }
    }
}
