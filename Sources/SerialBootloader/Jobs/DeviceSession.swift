import ImageFormats

/// A connected, identified and set-up chip on one port, and the jobs that run on it: `write`, `verify`, `read`,
/// `erase`, `finish`. Each job emits `JobEvent`s to the context's sink and returns a typed result, or throws a
/// `JobFailure` naming its stage, with the per-region report. A session belongs to one thread at a time (it is not
/// `Sendable`); sessions on different ports share nothing and run concurrently. Call `close()` when done (the
/// opener then releases the port; an emulated chip saves its flash).
public final class DeviceSession {
    public let request: ConnectRequest
    public let info: DeviceInfo
    public let bootloader: Bootloader
    /// Retries of this session so far: one per `retry` event it emitted.
    public private(set) var retries = 0
    let context: JobContext
    let started = Clock.now()
    private var closed = false
    private lazy var flasher = Flasher(loader: bootloader) { [unowned self] in self.emit($0) }

    private init(request: ConnectRequest, context: JobContext, bootloader: Bootloader, info: DeviceInfo, retries: Int) {
        self.request = request
        self.context = context
        self.bootloader = bootloader
        self.info = info
        self.retries = retries
    }

    /// Bytes written to the port since it was opened, framing included.
    public var bytesSent: Int { bootloader.connection.bytesSent }
    public var seconds: Double { Clock.now() - started }

    // MARK: - Connect

    /// The connect job: opens the port (stage `open`), resets and syncs per `before`, detects the chip and checks
    /// it against `request.chip`, changes the baud rate, attaches the flash, reads its id, sets its size (stage
    /// `connect`), and reads the MAC, revision and crystal. Emits `connected` at the end.
    public static func connect(_ request: ConnectRequest, context: JobContext = JobContext()) throws(JobFailure) -> DeviceSession {
        if context.cancellation.isCancelled { throw JobFailure(stage: .open, reason: .cancelled, message: "cancelled") }
        context.onEvent(.stageStarted(.open))
        let transport: any Transport
        do { transport = try request.opener.open(request.port, baudRate: ConnectRequest.initialBaudRate) } catch {
            throw JobFailure(stage: .open, reason: .portUnavailable, message: error.message)
        }
        context.onEvent(.stageStarted(.connect))
        let connection = LoaderConnection(transport: transport, timeouts: request.timeouts, reopen: reopener(request, context))
        connection.cancellation = context.cancellation
        connection.trace = request.trace
        let loader: Bootloader
        do throws(LoaderError) {
            loader = try Bootloader.connect(connection, options: ConnectOptions(before: request.before, attempts: request.connectAttempts,
                                                                                 expectedChip: request.chip, customReset: request.customReset))
        } catch {
            release(connection.transport, request, context)
            var failure = JobFailure(error, stage: .connect)
            failure.message = "cannot connect on \(request.port.description): \(error.description)"
            if error.kind == .noSync { failure.help = "is the chip in download mode (hold BOOT, tap EN)? try --before or --connect-attempts" }
            throw failure
        }
        loader.flashPinsOverride = request.spiConnection
        var retries = 0
        let info: DeviceInfo
        do throws(LoaderError) {
            info = try setUp(loader, request) { event in
                if case .retry = event { retries += 1 }
                context.onEvent(event)
            }
        } catch {
            release(connection.transport, request, context)
            throw JobFailure(error, stage: .connect)
        }
        context.onEvent(.connected(info))
        return DeviceSession(request: request, context: context, bootloader: loader, info: info, retries: retries)
    }

    /// Crystal, baud rate, flash attach, id and size, MAC, revision, security: each step retried like the flashing
    /// commands (up to `setupAttempts` times), since a lost reply here should cost a re-sync, not the run, and a
    /// step already done is not done again. In secure download mode only what the ROM allows is done: no register
    /// is read, the flash size is `-fs`'s (or the ROM's 2 MB default).
    private static func setUp(_ loader: Bootloader, _ request: ConnectRequest, emit: (JobEvent) -> Void) throws(LoaderError) -> DeviceInfo {
        let transport = { loader.connection.transport }
        var retries = 0
        func step<T>(_ body: () throws(LoaderError) -> T) throws(LoaderError) -> T {
            var attempt = 1
            while true {
                do throws(LoaderError) {
                    return try body()
                } catch where error.isRecoverable && attempt < request.setupAttempts {
                    attempt += 1
                    retries += 1
                    emit(.retry(index: nil, attempt: retries, reason: error.description))
                    do throws(LoaderError) { try loader.reconnect() } catch where error.isRecoverable {
                        // The next attempt's commands say what is wrong.
                    }
                }
            }
        }
        let crystal = try step { () throws(LoaderError) in try loader.readCrystalMHz() }  // before the baud change, whose value may depend on it
        if request.baudRate != ConnectRequest.initialBaudRate, request.baudRate != transport().baudRate,
           !(try step { () throws(LoaderError) in try loader.changeBaudRate(request.baudRate) }) {
            let why = transport().canChangeBaudRate ? "the \(loader.chip.displayName) ROM keeps 115200 in secure download mode"
                : "\(transport().portName) cannot change its baud rate"
            emit(.note("\(why); staying at \(transport().baudRate)", isWarning: false))
        }
        try step { () throws(LoaderError) in try loader.attachFlash() }
        var firstFlashSetUp = true
        let flash = try step { () throws(LoaderError) in
            defer { firstFlashSetUp = false }
            return try flashSetUp(loader, request, firstAttempt: firstFlashSetUp, emit: emit)
        }
        let revision = try step { () throws(LoaderError) in try loader.readRevision() }
        let mac = try step { () throws(LoaderError) in try loader.readMAC() }
        var info = DeviceInfo(port: request.port.description, chip: loader.chip, revision: revision, crystalMHz: crystal, mac: mac,
                              flashID: flash.id, detectedFlashSize: flash.detected, flashSize: flash.size, baudRate: transport().baudRate,
                              securityInfo: loader.securityInfo)
        info.flashIDKnown = !loader.secureDownloadMode
        info.security = try step { () throws(LoaderError) in try loader.readSecurity() }
        info.usbSerialJTAG = loader.usesUSBSerialJTAG
        return info
    }

    /// RDID, the check that the flash chip answers at all, and SPI_SET_PARAMS. A flash that does not answer (RDID
    /// 0x000000/0xFFFFFF and no SFDP table) is an error unless `-fs` names the size: it is not silently "4MB".
    private static func flashSetUp(_ loader: Bootloader, _ request: ConnectRequest, firstAttempt: Bool,
                                   emit: (JobEvent) -> Void) throws(LoaderError) -> (id: UInt32, detected: FlashSize?, size: FlashSize) {
        let fallback = FlashSize(name: "4MB")!
        if loader.secureDownloadMode {
            guard case .fixed(let chosen) = request.flashSize else {
                if firstAttempt {
                    emit(.note("secure download mode: the flash size cannot be detected and the ROM assumes 2MB; give -fs SIZE to reach further",
                               isWarning: true))
                }
                return (0, nil, FlashSize(name: "2MB")!)
            }
            try loader.setFlashSize(chosen.bytes)
            return (0, nil, chosen)
        }
        let id = try loader.readFlashID()
        if !(try loader.flashAnswers(id: id)) {
            let problem = "the flash chip does not answer (RDID 0x\(String(id, radix: 16)), no SFDP table)"
            guard case .fixed = request.flashSize else {
                throw LoaderError(.unusable, command: "flash id", problem + ": check the module's flash and its power; -fs SIZE tries anyway")
            }
            if firstAttempt { emit(.note(problem + "; reads and writes will likely fail", isWarning: true)) }
        }
        let detected = FlashSize.detected(fromJEDEC: id)
        let size: FlashSize
        switch request.flashSize {
        case .fixed(let chosen): size = chosen
        case .keep, .detect:
            size = detected ?? fallback
            if detected == nil, firstAttempt {
                emit(.note("flash size not detected (RDID 0x\(String(id, radix: 16))); assuming 4MB", isWarning: true))
            }
        }
        if size.bytes > Chip.romAddressLimit, firstAttempt {
            emit(.note("\(size) flash: the ROM loader reaches only its first 16 MB (24-bit addresses)", isWarning: true))
        }
        try loader.setFlashSize(size.bytes)
        return (id, detected, size)
    }

    /// Opens the port again after it failed, for up to `reopenTimeout` seconds (a USB port takes a moment to
    /// come back under its path), through the request's opener.
    static func reopener(_ request: ConnectRequest, _ context: JobContext) -> (any Transport) throws(TransportError) -> any Transport {
        { (failed: any Transport) throws(TransportError) -> any Transport in
            let deadline = Clock.now() + request.reopenTimeout
            while true {
                do throws(TransportError) {
                    let transport = try request.opener.reopen(failed, at: request.port, baudRate: ConnectRequest.initialBaudRate)
                    context.onEvent(.portReopened(port: transport.portName))
                    return transport
                } catch {
                    if Clock.now() >= deadline || context.cancellation.isCancelled { throw error }
                    Clock.sleep(seconds: 0.2)
                }
            }
        }
    }

    private static func release(_ transport: any Transport, _ request: ConnectRequest, _ context: JobContext) {
        do { try request.opener.close(transport) } catch {
            context.onEvent(.note(error.message, isWarning: true))
        }
    }

    // MARK: - Finish

    /// The finish job: `--after` (hard reset pulses EN; soft reset runs the app; no-reset leaves the ROM loader).
    public func finish(_ after: AfterAction) throws(JobFailure) {
        emit(.stageStarted(.finish))
        do throws(LoaderError) { try bootloader.finish(after) } catch {
            throw JobFailure(error, stage: .finish)
        }
    }

    /// Releases the port through the opener (an emulated chip saves its flash file). A failure to save is a warning
    /// event. Calling it again does nothing.
    public func close() {
        guard !closed else { return }
        closed = true
        Self.release(bootloader.connection.transport, request, context)
    }

    /// `close()` for a job that succeeded: a port that cannot be released properly (an emulated chip whose flash
    /// file cannot be saved) fails the job at its finish stage instead of being a warning, since what was written
    /// is then lost. Calling it again, or after `close()`, does nothing.
    public func closeChecked() throws(JobFailure) {
        guard !closed else { return }
        closed = true
        let transport = bootloader.connection.transport
        do throws(TransportError) { try request.opener.close(transport) } catch {
            throw JobFailure(stage: .finish, reason: .deviceError, message: "cannot release the port: \(error.message)")
        }
    }

    deinit { close() }

    // MARK: - Shared by the jobs

    func emit(_ event: JobEvent) {
        if case .retry = event { retries += 1 }
        context.onEvent(event)
    }

    /// Starts `stage`, or fails it at once when the job was cancelled.
    func begin(_ stage: JobStage, regions: [RegionOutcome] = []) throws(JobFailure) {
        if context.cancellation.isCancelled { throw JobFailure(stage: stage, reason: .cancelled, message: "cancelled", regions: regions) }
        emit(.stageStarted(stage))
    }

    /// The operations recover from lost frames by re-syncing; a flasher is kept per session for its resume state.
    var operations: Flasher { flasher }
}
