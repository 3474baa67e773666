import ImageFormats

/// What the AT firmware sends behind `FormatDecoder` (`at-stream`): the framer's events, each taken by a command's
/// exchange, and every complete response read by every typed reply parser. The first input byte picks the framer's
/// set-up (payload prefix, prompt expected, echo), the rest is the stream.
public struct ATStreamFormat: FormatDecoder {
    public struct Reading: Sendable {
        public var events: [ATFramer.Event]
        public var steps: [ATExchange.Step]
    }

    public init() {}
    public var formatName: String { "at-stream" }

    /// The commands the exchanges are for, in turn.
    static let commands: [(line: String, prompt: Bool)] = [
        ("AT+SYSFLASH=2,\"ble_data\",0,16", false), ("AT+GMR", false), ("AT+SYSFLASH?", false), ("AT+UART_CUR?", false),
        ("AT+SYSFLASH=1,\"ble_data\",0,4", true), ("AT+CIPSTAMAC?", false), ("AT+SYSRAM?", false), ("AT+RFPOWER?", false),
    ]

    public func decode(_ bytes: [UInt8]) throws(FormatError) -> Reading {
        guard let setup = bytes.first else { return Reading(events: [], steps: []) }
        var framer = Self.framer(setup)
        let events = framer.feed(bytes.dropFirst())
        return Reading(events: events, steps: Self.exchange(events, echo: Self.echo(setup)))
    }

    static func framer(_ setup: UInt8) -> ATFramer {
        var framer = ATFramer(payloadPrefix: [nil, "+SYSFLASH", "+FS", "+SYSFLASH"][Int(setup & 3)])
        framer.promptExpected = setup & 4 != 0
        return framer
    }

    static func echo(_ setup: UInt8) -> ATEcho { [ATEcho.unknown, .on, .off, .off][Int(setup >> 3 & 3)] }

    /// Runs the events through one exchange after another; each finished response goes through every parser.
    static func exchange(_ events: [ATFramer.Event], echo: ATEcho) -> [ATExchange.Step] {
        var steps: [ATExchange.Step] = []
        var turn = 0
        var exchange = ATExchange(commandLine: commands[0].line, echo: echo, expectsPrompt: commands[0].prompt)
        for event in events {
            let step = exchange.handle(event)
            steps.append(step)
            guard case .finished(let response) = step else { continue }
            parseEverything(response)
            turn += 1
            let next = commands[turn % commands.count]
            exchange = ATExchange(commandLine: next.line, echo: echo, expectsPrompt: next.prompt)
        }
        return steps
    }

    static func parseEverything(_ response: ATResponse) {
        _ = try? AT.version.parse(response)
        _ = try? AT.partitions.parse(response)
        _ = try? AT.stationMAC.parse(response)
        _ = try? AT.uart(.current).parse(response)
        _ = try? AT.ram.parse(response)
        _ = try? AT.rfPower.parse(response)
        _ = try? SysFlash.Read(partition: "ble_data", offset: 0, length: 16).parse(response)
        _ = try? FileSystem.Read("a.txt", offset: 0, length: 16).parse(response)
        _ = try? FileSystem.Size("a.txt").parse(response)
        _ = try? FileSystem.List().parse(response)
    }

    /// The events do not depend on how the stream is cut: whole, byte by byte, or in pieces the data picks.
    public func checkProperties(_ bytes: [UInt8]) -> String? {
        guard let reading = try? decodeChecked(bytes), let setup = bytes.first else { return nil }
        let stream = bytes.dropFirst()
        var single = Self.framer(setup)
        var byByte: [ATFramer.Event] = []
        for byte in stream { byByte += single.feed(CollectionOfOne(byte)) }
        guard byByte == reading.events else { return "\(formatName): byte-by-byte feeding gives other events" }
        var pieces = Self.framer(setup)
        var pieced: [ATFramer.Event] = []
        var start = stream.startIndex
        while start < stream.endIndex {
            let end = min(stream.endIndex, start + 1 + Int(stream[start] % 11))
            pieced += pieces.feed(stream[start..<end])
            start = end
        }
        guard pieced == reading.events else { return "\(formatName): feeding in pieces gives other events" }
        return nil
    }
}

extension FormatCatalog {
    /// The AT firmware's side: its response stream.
    public static let atCommands: [any FormatDecoder] = [ATStreamFormat()]
}
