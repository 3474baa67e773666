import ATCommands
import TestSupport
import Testing

/// Seeded random interleavings of unsolicited reports, echo, stale answers and partial reads around a command's
/// response: the client must return exactly the response that was sent (never a wrong OK or ERROR), report every
/// unsolicited line as such, and give up on a cut-off response within its timeout.
@Suite struct ATResponseFuzzTests {
    enum Kind: CaseIterable { case plain, gmr, list, read, uart }

    struct Case {
        var command: String
        var payloadPrefix: String?
        var stream: [UInt8] = []
        var expected: ATResponse
        var unsolicitedLines: [String] = []
        var networkData = 0
        var complete = true
    }

    static let reports = ["ready", "WIFI CONNECTED", "WIFI GOT IP", "WIFI DISCONNECT", "0,CONNECT", "1,CLOSED",
                          "+STA_CONNECTED:\"aa:bb:cc:dd:ee:ff\"", "+TIME_UPDATED", "+MQTTCONNECTED:0,1,\"h\",\"1883\",\"\",1",
                          "smartconfig type:ESPTOUCH", "+BLECONN:0,\"11:22:33:44:55:66\""]

    /// Bytes that look like protocol inside binary data.
    static func nasty(_ rng: inout SplitMix64, _ count: Int) -> [UInt8] {
        let pieces: [[UInt8]] = ["\r\nOK\r\n".bytes, "\r\nERROR\r\n".bytes, "busy p...\r\n".bytes, ">".bytes, "+SYSFLASH:3,".bytes, "\r\n".bytes]
        var out: [UInt8] = []
        while out.count < count {
            out += rng.chance(0.3) ? pieces[rng.next(pieces.count)] : rng.bytes(rng.next(6) + 1)
        }
        return Array(out.prefix(count))
    }

    static func makeCase(_ rng: inout SplitMix64, echo: Bool) -> Case {
        let kind = Kind.allCases[rng.next(Kind.allCases.count)]
        var info: [String] = []
        var payload: [UInt8]?
        var c: Case
        switch kind {
        case .plain:
            c = Case(command: "AT", expected: ATResponse(status: .ok))
        case .gmr:
            c = Case(command: "AT+GMR", expected: ATResponse(status: .ok))
            info = rng.chance(0.5)
                ? ["AT version:1.2.0.0(Jul  1 2019 20:36:30)", "SDK version:v3.2-dev-1148-gddbce78b", "compile time:Jul  1 2019 20:38:33"]
                : ["AT version:2.4.0.0(4c6eb5e - ESP32 - May 20 2022 03:12:44)", "SDK version:v4.3.2-553-g588436db47",
                   "compile time(6c2a0a8):May 20 2022 03:12:44", "Bin version:2.4.0(WROOM-32)"]
        case .list:
            c = Case(command: "AT+SYSFLASH?", expected: ATResponse(status: .ok))
            info = (0..<rng.next(5)).map { "+SYSFLASH:\"p\($0)\",64,\($0),0x\(String(0x21000 + $0 * 0x1000, radix: 16)),0x1000" }
        case .read:
            c = Case(command: "AT+SYSFLASH=2,\"ble_data\",0,100", payloadPrefix: "+SYSFLASH", expected: ATResponse(status: .ok))
            payload = nasty(&rng, rng.next(300))
        case .uart:
            c = Case(command: "AT+UART_CUR?", expected: ATResponse(status: .ok))
            info = ["+UART_CUR:115201,8,1,0,1"]
        }
        // The final result, and what the firmware prints for it.
        var final = "\r\nOK\r\n".bytes
        switch rng.next(10) {
        case 0, 1:
            c.expected.status = .error
            final = "\r\nERROR\r\n".bytes
            info = []
            payload = nil
        case 2:
            c.expected.status = .error
            c.expected.errorCode = 0x0107_0000
            final = "ERR CODE:0x01070000\r\n\r\nERROR\r\n".bytes
            info = []
            payload = nil
        case 3:
            c.expected.status = .busy
            final = "busy p...\r\n".bytes
            info = []
            payload = nil
        default: break
        }
        c.expected.lines = info
        c.expected.payload = payload

        // Lines as the firmware sends them, with reports slipped in between.
        var pieces: [[UInt8]] = []
        func maybeReport() {
            guard rng.chance(0.35) else { return }
            if rng.chance(0.3) {
                let data = nasty(&rng, rng.next(40))
                pieces.append("+IPD,\(rng.next(5)),\(data.count):".bytes + data)
                c.networkData += 1
            } else {
                let line = reports[rng.next(reports.count)]
                pieces.append("\r\n\(line)\r\n".bytes)
                c.unsolicitedLines.append(line)
            }
        }
        maybeReport()
        if echo {
            if rng.chance(0.2) { pieces.append((rng.chance(0.5) ? "\r\nOK\r\n" : "\r\nERROR\r\n").bytes) }  // an earlier command's late answer
            pieces.append((c.command + "\r\n").bytes)
        }
        maybeReport()
        for line in info {
            pieces.append((line + "\r\n").bytes)
            maybeReport()
        }
        if let payload {
            pieces.append("\(c.payloadPrefix!):\(payload.count),".bytes + payload + "\r\n".bytes)
            maybeReport()
        }
        pieces.append(final)
        c.stream = pieces.flatMap { $0 }
        if rng.chance(0.15) {
            // Cut off before the final result is complete.
            c.complete = false
            c.stream = Array(c.stream.prefix(c.stream.count - final.count + rng.next(final.count - 1)))
        }
        return c
    }

    @Test(arguments: 0..<8)
    func randomInterleavings(batch: Int) throws {
        var rng = SplitMix64(seed: 0xA7_0000 + UInt64(batch))
        var answered = 0, cutOff = 0, withReports = 0
        for iteration in 0..<250 {
            let echo = rng.chance(0.5)
            let c = Self.makeCase(&rng, echo: echo)
            let transport = ScriptedTransport()
            var position = 0
            while position < c.stream.count {
                let n = min(c.stream.count - position, rng.next(64) + 1)
                transport.schedule(Array(c.stream[position..<(position + n)]), after: Double(rng.next(4)) / 1000)
                position += n
            }
            let client = ATClient(transport: transport, echo: echo ? .on : .off, now: { transport.now })
            var network = 0
            client.onEvent = { if case .networkData = $0 { network += 1 } }
            let timeout = 5.0
            let label = "batch \(batch) iteration \(iteration)"
            do {
                let response = try client.exchange(c.command, timeout: timeout, payloadPrefix: c.payloadPrefix)
                #expect(c.complete, "\(label): a cut-off response was taken as \(response.status)")
                #expect(response == c.expected, "\(label)")
                #expect(client.unsolicited == c.unsolicitedLines, "\(label)")
                #expect(network == c.networkData, "\(label)")
                answered += 1
                if !c.unsolicitedLines.isEmpty || c.networkData > 0 { withReports += 1 }
            } catch {
                cutOff += 1
                #expect(!c.complete, "\(label): \(error)")
                #expect(error.kind == .timeout, "\(label)")
                // Gave up at the deadline, not later (one poll interval of slack).
                #expect(transport.now <= timeout + client.pollInterval + 1e-9, "\(label): gave up at \(transport.now) s")
            }
        }
        // Both outcomes, and reports among the answers, really occurred.
        #expect(answered > 150 && cutOff > 15 && withReports > 50, "\(answered) answered, \(cutOff) cut off, \(withReports) with reports")
    }

    /// A command times out; its answer arrives while the next command runs. With echo on the late OK comes before
    /// the new command's echo and is not taken; the new command gets its own ERROR.
    @Test func lateAnswerIsNotTakenForTheNextCommand() throws {
        let transport = ScriptedTransport()
        let client = ATClient(transport: transport, echo: .on, now: { transport.now })
        client.settleAfterTimeout = 0
        #expect(throws: ATError.self) { try client.exchange("AT+SLOW", timeout: 1) }
        var stale: [String] = []
        client.onEvent = { if case .stale(let line) = $0 { stale.append(line) } }
        transport.schedule("\r\nOK\r\nAT+NEXT\r\n\r\nERROR\r\n".bytes, after: 0.01)
        let response = try client.exchange("AT+NEXT", timeout: 1)
        #expect(response.status == .error)
        #expect(stale == ["OK"])
    }

    /// The `>` prompt: the data goes out only after it, and the final result after the data counts.
    @Test func promptThenDataThenOK() throws {
        let transport = ScriptedTransport()
        let client = ATClient(transport: transport, echo: .off, now: { transport.now })
        var sentData = false
        transport.onWrite = { bytes in
            if bytes.starts(with: "AT+SYSFLASH=1".bytes) {
                transport.schedule("\r\n".bytes)
                transport.schedule(">".bytes, after: 0.002)
            } else {
                sentData = bytes == [1, 2, 3, 0x0D, 0x0A]
                transport.schedule("\r\nOK\r\n".bytes, after: 0.01)
            }
        }
        let response = try client.exchange("AT+SYSFLASH=1,\"ble_data\",0,5", timeout: 1, data: [1, 2, 3, 0x0D, 0x0A])
        #expect(sentData)
        #expect(response.status == .ok)
    }
}
