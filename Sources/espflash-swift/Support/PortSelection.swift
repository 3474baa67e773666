import SerialBootloader

/// Choosing the serial port when none is given (CLI.md §Ports): the one ESP-looking port (after `--port-filter`)
/// is taken and named on stderr; none, or several, stop the command with the ports listed.
enum PortSelection {
    static func choose(filter: PortFilter, enumerator: SerialPortEnumerator = .system()) throws -> String {
        let ports = enumerator.ports()
        switch PortChoice.choose(from: ports, filter: filter) {
        case .chosen(let port):
            Console.write(2, "note: using \(port.path): \(describe(port))\n")
            return port.path
        case .none(let passing):
            let seen = (filter.isEmpty ? ports : passing)
            let list = seen.isEmpty ? "" : "; the serial ports here are:\n" + seen.map { "  " + line($0) }.joined(separator: "\n")
            throw CommandFailure.io(
                (filter.isEmpty ? "no ESP-looking serial port found (USB bridge or ESP USB port)" : "no serial port matches --port-filter") + list,
                help: "connect the board, or give the port with --port PORT (or ESPTOOL_PORT)")
        case .several(let candidates):
            throw CommandFailure.usage(
                "\(candidates.count) ESP-looking serial ports found; say which one:\n" + candidates.map { "  " + line($0) }.joined(separator: "\n"),
                help: "give --port PORT, or narrow the choice with --port-filter vid=0x303A,pid=0x1001,serial=...")
        }
    }

    /// `Silicon Labs CP210x UART bridge (CP2102/CP2102N/CP2104), 10C4:EA60, serial 0001, "CP2102N USB to UART Bridge Controller"`.
    static func describe(_ port: SerialPortInfo) -> String {
        var parts = [port.kindDescription]
        if let ids = port.vidPidText { parts.append(ids) }
        if let serial = port.serialNumber { parts.append("serial \(serial)") }
        let names = [port.manufacturer, port.product].compactMap { $0 }
        if !names.isEmpty { parts.append("\"" + names.joined(separator: " ") + "\"") }
        return parts.joined(separator: ", ")
    }

    static func line(_ port: SerialPortInfo) -> String { "\(port.path)  \(describe(port))" }
}
