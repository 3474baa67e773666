import ArgumentParser
import ATCommands
import ImageFormats

/// `espflash-swift at …`: the ESP32 AT firmware over its AT UART.
struct ATCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "at",
        abstract: "Talk to a module running the ESP32 AT firmware: send commands, probe, update partitions, test.",
        discussion: """
            PORT is the module's AT UART (UART1 on ESP32 and ESP32-C3 modules, TX/RX as factory_param says), or \
            virtual://CHIP?flash=FILE: an emulated chip that boots the image in FILE and answers on its AT UART; \
            FILE is saved afterwards, so download-mode commands see what AT+SYSFLASH wrote. Responses follow the \
            ESP32 AT command set, v1.2 and v2.x/v3.x forms alike; unsolicited lines (ready, WIFI GOT IP, +IPD…) \
            are never taken for a response.

            Examples:
              espflash-swift at probe -p /dev/ttyUSB1
              espflash-swift at send -p /dev/ttyUSB1 AT+GMR AT+SYSRAM?
              espflash-swift at sysflash write -p /dev/ttyUSB1 ble_data ble_data.bin
              espflash-swift at test -p "virtual://esp32?flash=chip.bin" --expect-version 2.4.0.0 --layout at_customize.bin
            """,
        subcommands: [ATSendCommand.self, ATProbeCommand.self, ATSysFlashCommand.self, ATTestCommand.self]
    )
}

struct ATSendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send AT commands one after another and print each response (exit 1 on ERROR).",
        discussion: """
            Each COMMAND is sent as a line; its response lines and final result are printed. Unsolicited lines are \
            printed with a '# ' in front.

            Examples:
              espflash-swift at send -p /dev/ttyUSB1 AT AT+GMR
              espflash-swift at send -p "virtual://esp32c3?flash=chip.bin" AT+SYSFLASH? AT+UART_CUR?
            """
    )

    @OptionGroup var port: ATPortOptions
    @Option(help: "Seconds to wait for each command's final result.") var timeout = 5.0
    @Argument(help: "AT command lines, such as AT+GMR.") var commands: [String]

    func validate() throws {
        if commands.isEmpty { throw ValidationError("give at least one COMMAND, like AT+GMR") }
        if let bad = commands.first(where: { !$0.uppercased().hasPrefix("AT") }) { throw ValidationError("'\(bad)' is not an AT command (they start with AT)") }
    }

    func run() throws {
        try reportingFailures {
            let reporter = ProgressReporter(json: port.json)
            let link = try ATLink(port, reporter: reporter)
            var shownUnsolicited = 0
            var failed = false
            try link.run(stage: "command") {
                for command in commands {
                    let response = try link.client.exchange(command, timeout: timeout)
                    for line in link.client.unsolicited[shownUnsolicited...] { reporter.say("# " + line) }
                    shownUnsolicited = link.client.unsolicited.count
                    for line in response.lines { reporter.say(line) }
                    if let payload = response.payload { reporter.say("(\(payload.count) bytes of data)") }
                    if let code = response.errorCode { reporter.say("ERR CODE:0x" + String(code, radix: 16).leftPadded(8)) }
                    let status = response.status == .ok ? "OK" : response.status == .error ? "ERROR" : "busy p..."
                    reporter.say(status)
                    reporter.event("response", [("command", .string(command)), ("status", .string(status)),
                                                ("lines", .array(response.lines.map { .string($0) }))])
                    if response.status != .ok { failed = true; break }
                }
            }
            reporter.event("result", [("ok", .bool(!failed))])
            link.close()
            if failed { throw ExitCode(ExitStatus.operationFailed) }
        }
    }
}

struct ATProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Check that the AT firmware answers (AT, ATE0) and show its versions (AT+GMR).",
        discussion: """
            Examples:
              espflash-swift at probe -p /dev/ttyUSB1
              espflash-swift at probe -p "virtual://esp32?flash=chip.bin" --json
            """
    )

    @OptionGroup var port: ATPortOptions

    func run() throws {
        try reportingFailures {
            let reporter = ProgressReporter(json: port.json)
            let link = try ATLink(port, reporter: reporter)
            try link.run(stage: "probe") {
                try link.send(AT.test)
                try link.send(AT.echo(false))
                let info = try link.send(AT.version)
                for line in info.lines { reporter.say(line) }
                var fields: [(String, JSONValue)] = [("ok", .bool(true)), ("port", .string(link.portText)), ("baud", .int(port.baud))]
                fields.append(("at_version", info.atVersion.map { .string($0) } ?? .null))
                fields.append(("at_version_text", info.atVersionText.map { .string($0) } ?? .null))
                fields.append(("sdk_version", info.sdkVersion.map { .string($0) } ?? .null))
                fields.append(("compile_time", info.compileTime.map { .string($0) } ?? .null))
                fields.append(("bin_version", info.binVersion.map { .string($0) } ?? .null))
                fields.append(("module", info.moduleName.map { .string($0) } ?? .null))
                fields.append(("lines", .array(info.lines.map { .string($0) })))
                reporter.event("result", fields)
            }
            link.close()
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
