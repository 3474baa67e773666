/// One conversation with a ROM loader over a `Transport`: framed requests out, matching replies in.
/// It knows nothing about chips; `Bootloader` builds the device operations on top of it.
public final class LoaderConnection {
    public private(set) var transport: Transport
    public var timeouts: CommandTimeouts
    /// Opens the port again after it failed (given the failed one, which it closes); nil when it cannot be.
    private let reopenTransport: ((any Transport) throws(TransportError) -> any Transport)?
    private var decoder = SLIPDecoder()
    private var frames: [[UInt8]] = []
    /// Bytes written to the port (framed), over the whole session.
    public private(set) var bytesSent = 0
    public private(set) var bytesReceived = 0
    /// Called with a short line per request and reply, for `--trace`-style debugging.
    public var trace: ((String) -> Void)?
    /// Checked before every command and while waiting for a reply: once set, commands throw `.cancelled`.
    public var cancellation: CancellationFlag?
    /// Whether every reply to the last SYNC had value 0: a flasher stub answers so, the ROM never does
    /// (esptool `sync_stub_detected`).
    public private(set) var lastSyncFromStub = false
    /// How long the last command that timed out was waited for (cleared by the next reply): a chip busy with a
    /// long erase deserves about that long again before a recovery resets it.
    public private(set) var lastTimedOutWait: Double?

    /// esptool `ESPLoader.command`: at most this many frames are examined while waiting for a reply.
    static let maximumSkippedFrames = 100
    /// The ROM answers one SYNC eight times.
    static let syncReplyCount = 8

    public init(transport: Transport, timeouts: CommandTimeouts? = nil,
                reopen: ((any Transport) throws(TransportError) -> any Transport)? = nil) {
        self.transport = transport
        self.timeouts = timeouts ?? (transport.answersImmediately ? .immediate : .standardTimeouts)
        self.reopenTransport = reopen
    }

    public var canReopen: Bool { reopenTransport != nil }

    /// Closes the port and opens it again.
    public func reopen() throws(LoaderError) {
        guard let reopenTransport else { throw LoaderError(.transport(.unsupported), command: "reopen", "\(transport.portName) cannot be reopened") }
        do { transport = try reopenTransport(transport) } catch { throw LoaderError(.transport(error.kind), command: "reopen", error.message) }
        resetReceiver()
    }

    /// Throws `.cancelled` once the job is cancelled.
    func checkCancellation(_ command: String) throws(LoaderError) {
        if let cancellation, cancellation.isCancelled { throw LoaderError.cancelled(command) }
    }

    public func close() { transport.close() }

    /// Forgets partly received frames and whatever the port holds (after a timeout, before a SYNC).
    public func resetReceiver() {
        decoder = SLIPDecoder()
        frames.removeAll()
        try? transport.discardInput()
    }

    // MARK: - Commands

    /// Sends `opcode` with `data` and waits for the reply with the same opcode. `payloadLength` is how many bytes
    /// the reply carries before its status; a failed status throws `.failed(code)`.
    @discardableResult
    public func command(_ opcode: Opcode, _ data: [UInt8] = [], checksum: UInt32 = 0, timeout: Double? = nil,
                        payloadLength: Int = 0, checkStatus: Bool = true) throws(LoaderError) -> ResponsePacket {
        try send(opcode, data, checksum: checksum)
        let wait = timeout ?? timeouts.standard
        let reply: ResponsePacket
        do { reply = try receive(opcode, timeout: wait) } catch {
            if error.kind == .timeout { lastTimedOutWait = wait > timeouts.standard ? wait : nil }
            throw error
        }
        lastTimedOutWait = nil
        if checkStatus {
            let status = reply.status(payloadLength: payloadLength)
            if status.failed { throw LoaderError.failed(opcode.description, status.error) }
        }
        return reply
    }

    /// Sends a typed request (encoded by `LoaderRequest.packet`) and waits for its reply, as `command` does.
    @discardableResult
    public func send(_ request: LoaderRequest, timeout: Double? = nil, payloadLength: Int = 0,
                     checkStatus: Bool = true) throws(LoaderError) -> ResponsePacket {
        let packet = request.packet
        return try command(request.opcode, packet.data, checksum: packet.checksum, timeout: timeout,
                           payloadLength: payloadLength, checkStatus: checkStatus)
    }

    func send(_ opcode: Opcode, _ data: [UInt8], checksum: UInt32 = 0) throws(LoaderError) {
        try checkCancellation(opcode.description)
        let wire = SLIP.encode(CommandPacket(opcode, data: data, checksum: checksum).bytes)
        trace?("TX \(opcode) \(data.count) bytes")
        do { try transport.write(wire) } catch {
            throw LoaderError(.transport(error.kind), command: opcode.description, error.message)
        }
        bytesSent += wire.count
    }

    /// Waits for the reply to `opcode`, skipping other frames as esptool does.
    func receive(_ opcode: Opcode, timeout: Double) throws(LoaderError) -> ResponsePacket {
        let deadline = Clock.now() + timeout
        var examined = 0
        while true {
            while !frames.isEmpty {
                let frame = frames.removeFirst()
                examined += 1
                if examined > Self.maximumSkippedFrames {
                    throw LoaderError(.badReply, command: opcode.description, "no reply matched the request in \(Self.maximumSkippedFrames) frames")
                }
                guard let reply = ResponsePacket(frame: frame) else { continue }
                trace?("RX \(Opcode.name(reply.opcode)) \(reply.data.count) bytes")
                if reply.opcode == opcode.rawValue { return reply }
                if reply.data.count >= 2, reply.data[0] != 0, reply.data[1] == RomError.invalidMessage.rawValue {
                    drainUnsupportedReplies()
                    throw LoaderError(.unsupported, command: opcode.description, "the loader does not support this command")
                }
            }
            // With a cancellation flag, wait in short slices so that a cancel during a long wait (an erase) is seen.
            let remaining = max(0, deadline - Clock.now())
            let chunk: [UInt8]
            do { chunk = try transport.read(maxCount: 4096, timeout: cancellation == nil ? remaining : min(remaining, 0.2)) } catch {
                throw LoaderError(.transport(error.kind), command: opcode.description, error.message)
            }
            bytesReceived += chunk.count
            if chunk.isEmpty {
                try checkCancellation(opcode.description)
                if Clock.now() >= deadline {
                    resetReceiver()
                    throw LoaderError(.timeout, command: opcode.description, "no reply within \(formatSeconds(timeout))")
                }
                continue
            }
            frames += decoder.packets(from: chunk)
        }
    }

    /// The ROM sends its "unsupported" reply eight times: drop the other seven so that the next command does not
    /// take them for its answer. esptool sleeps 0.2 s and flushes; here the frames are counted as they come, and
    /// the wait ends after the seventh or after a quiet `settle` period, which saves most of those 0.2 s.
    private func drainUnsupportedReplies() {
        var seen = 0
        var quietSince = Clock.now()
        while seen < Self.syncReplyCount - 1 {
            if !frames.isEmpty {
                let frame = frames.removeFirst()
                if let reply = ResponsePacket(frame: frame), reply.data.count >= 2, reply.data[1] == RomError.invalidMessage.rawValue { seen += 1 }
                continue
            }
            let waited = Clock.now() - quietSince
            if waited >= timeouts.settle { break }
            guard let chunk = try? transport.read(maxCount: 4096, timeout: timeouts.settle - waited) else { break }
            bytesReceived += chunk.count
            if chunk.isEmpty { if timeouts.settle == 0 { break } else { continue } }
            quietSince = Clock.now()
            frames += decoder.packets(from: chunk)
        }
        resetReceiver()
    }

    // MARK: - SYNC

    /// One SYNC exchange; the extra replies are read and dropped. Throws `.timeout` when the chip is silent.
    public func syncOnce() throws(LoaderError) {
        resetReceiver()
        var allZero = try send(.sync, timeout: timeouts.sync).value == 0
        // Collect the other seven answers so they cannot be taken for a later command's reply.
        var extra = 0
        let deadline = Clock.now() + timeouts.sync
        defer { lastSyncFromStub = allZero }
        while extra < Self.syncReplyCount - 1 {
            if let frame = frames.first {
                frames.removeFirst()
                if let reply = ResponsePacket(frame: frame), reply.opcode == Opcode.sync.rawValue {
                    extra += 1
                    allZero = allZero && reply.value == 0
                } else {
                    frames.insert(frame, at: 0)
                    break
                }
                continue
            }
            guard let chunk = try? transport.read(maxCount: 4096, timeout: max(0, deadline - Clock.now())) else { break }
            bytesReceived += chunk.count
            if chunk.isEmpty { break }
            frames += decoder.packets(from: chunk)
        }
    }

    /// Up to `tries` SYNC exchanges with a short pause between them (esptool `_connect_attempt`: 5 tries).
    public func sync(tries: Int = 5) throws(LoaderError) {
        var last = LoaderError(.noSync, command: "SYNC", "no answer")
        for attempt in 0..<max(1, tries) {
            do {
                try syncOnce()
                return
            } catch {
                last = error
                if case .transport = error.kind { throw error }
                if attempt + 1 < tries { Clock.sleep(seconds: timeouts.settle) }
            }
        }
        throw LoaderError(.noSync, command: "SYNC", "the chip did not answer SYNC (\(last.message))")
    }

    // MARK: - Registers

    public func readRegister(_ address: UInt32) throws(LoaderError) -> UInt32 {
        try send(.readRegister(address: address)).value
    }

    /// Writes registers in order, one WRITE_REG each, as esptool's `write_reg` does (the ROM takes several entries
    /// in one command, but nothing esptool drives relies on that, and simpler loaders apply only the first).
    public func writeRegisters(_ writes: [(address: UInt32, value: UInt32)]) throws(LoaderError) {
        for w in writes { try send(.writeRegister([LoaderRequest.RegisterWrite(address: w.address, value: w.value)])) }
    }
}

func le32(_ value: UInt32) -> [UInt8] {
    [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
}

func le32(_ values: [UInt32]) -> [UInt8] { values.flatMap { le32($0) } }

func formatSeconds(_ s: Double) -> String {
    let ms = Int((s * 1000).rounded())
    return ms < 1000 ? "\(ms) ms" : "\(ms / 1000).\(ms % 1000 / 100) s"
}
