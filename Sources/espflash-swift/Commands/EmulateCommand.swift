import ArgumentParser
import ImageFormats
import ChipEmulator
import SerialBootloader
#if canImport(Glibc)
import Glibc
#endif

extension FlashTiming: ExpressibleByArgument {}

/// Set from the signal handler; read by the serve loop every 100 ms.
nonisolated(unsafe) private var stopRequested: sig_atomic_t = 0

struct EmulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulate",
        abstract: "Run an emulated chip in ROM download mode on a TCP port or a pseudo-terminal.",
        discussion: EsptoolSpelling.discussion("emulate", """
            The emulated ROM loader answers esptool (--no-stub --before no-reset) and this tool as a chip would: \
            SYNC, READ_REG/WRITE_REG (eFuse MAC, SPI flash ID), SPI_ATTACH, SPI_SET_PARAMS (writes past 2 MB fail \
            before it), CHANGE_BAUDRATE, FLASH_BEGIN/DATA/END and FLASH_DEFL_* with NOR semantics, \
            SPI_FLASH_MD5, READ_FLASH_SLOW, MEM_*. It runs until killed; with --flash the contents are loaded at \
            start and saved on exit (SIGINT and SIGTERM too). On exit it prints what crossed the wire.

            Faults (--fault KIND=VALUE, repeatable; seed=N makes runs repeat): corrupt-rx=P, drop-reply=P, \
            truncate-reply=P, delay-reply=MS, disconnect-after=N, silent-after=N, bad-sector=ADDR, \
            reenumerate-after=N (with --pty-link PATH: the pty vanishes after N frames and a new one appears \
            behind PATH; the chip resets into download mode, its ROM back at 115200), reset-after=N (the chip \
            resets while it handles frame N: what it wrote stays in flash, its reply is lost, the ROM forgets the \
            rest; over --rfc2217 the reset lines decide whether it comes back in download mode or boots its flash).

            --rfc2217 HOST:PORT serves the download UART as an RFC 2217 server whose DTR/RTS drive EN and IO0 \
            through the two-transistor auto-reset circuit (EN's RC --en-rc MS, 10 by default): the chip enters \
            download mode only when IO0 is low as EN rises, otherwise it boots its flash and prints the ROM and \
            bootloader log (it powers on that way). As esptool's esp_rfc2217_server, it runs esptool's reset \
            sequences itself when a client starts one (pyserial waits ~50 ms for each SET-CONTROL answer, too long \
            for EN's RC); --rfc2217-raw passes each change on as it arrives, as ser2net does. --usb-serial-jtag makes DTR/RTS the USB-Serial/JTAG's commands \
            instead, and arms the watchdog a reset through USB leaves running: it resets the chip \
            --watchdog-seconds after download mode is entered unless the host disables it. --crystal sets the \
            crystal (the C2's ROM assumes 40 MHz, the C5's 48: a host that does not correct CHANGE_BAUDRATE for it \
            gets a garbled line). --secure-download-mode, --flash-encryption, --secure-boot set those eFuses; \
            --stub-running leaves a flasher stub answering until a reset. Flash may be up to 128MB: the ROM's \
            24-bit addresses wrap at 16 MB.

            --at-listen HOST:PORT or --at-pty also serves the AT UART of the chip booted from --flash (ROM boot, \
            bootloader, partition table, app; an image with at_customize.bin runs the emulated AT firmware at \
            the baud rate and UART its factory_param gives). A TCP client powers the module on as it connects; \
            AT+RST boots it again from the flash as it is then. On a pty the client's line speed must match the \
            module's. The faults apply to the AT replies too (per reply instead of per frame). Flash written \
            through either port is the same flash. --at-port-file receives the AT port.

            Examples:
              espflash-swift emulate --chip esp32 --listen 127.0.0.1:0 --port-file port.txt
              espflash-swift emulate --chip esp32c3 --pty --flash flash.bin --flash-size 4MB
              espflash-swift emulate --chip esp32s3 --listen 127.0.0.1:5555 --baud-model 921600 --flash-timing typical
              espflash-swift emulate --chip esp32 --listen 127.0.0.1:0 --fault corrupt-rx=0.01 --fault seed=7 --log frames.log
              espflash-swift emulate --chip esp32 --flash chip.bin --at-pty --at-port-file at-port.txt
              espflash-swift emulate --chip esp32c3 --rfc2217 127.0.0.1:0 --port-file port.txt --flash chip.bin
              espflash-swift emulate --chip esp32c2 --crystal 26 --pty --baud-model 921600
              espflash-swift emulate --chip esp32s3 --pty --pty-link /tmp/ttyESP --fault reenumerate-after=200
            """)
    )

    @Option(name: [.short, .long], help: "Chip to emulate: \(RomProfile.emulatedChips.map(\.rawValue).joined(separator: ", ")).")
    var chip: Chip

    @Option(help: "Serve on HOST:PORT (port 0 picks a free port).")
    var listen: String?

    @Flag(help: "Serve on a new pseudo-terminal.")
    var pty = false

    @Option(help: "Flash contents: loaded at start (missing file = blank chip), saved on exit.")
    var flash: String?

    @Option(name: .customLong("flash-size"), help: "Flash size.")
    var flashSize: FlashNumber = FlashNumber(argument: "4MB")!

    @Option(name: .customLong("port-file"), help: "Write the connectable port here once ready.")
    var portFile: String?

    @Option(name: .customLong("baud-model"), help: "Move bytes no faster than a UART at this rate (10 bits/byte).")
    var baudModel: Int?

    @Option(name: .customLong("flash-timing"), help: "Flash erase/program time: none or typical.")
    var flashTiming: FlashTiming = .none

    @Option(help: "Inject a fault: KIND=VALUE (repeatable).")
    var fault: [String] = []

    @Option(help: "Log every frame to this file.")
    var log: String?

    @Option(name: .customLong("at-listen"), help: "Serve the AT UART of the chip booted from --flash on HOST:PORT.")
    var atListen: String?

    @Flag(name: .customLong("at-pty"), help: "Serve the AT UART on a new pseudo-terminal.")
    var atPTY = false

    @Option(name: .customLong("at-port-file"), help: "Write the connectable AT port here once ready.")
    var atPortFile: String?

    @Option(name: .customLong("rfc2217"), help: "Serve the download UART as an RFC 2217 server on HOST:PORT; DTR/RTS reset the chip.")
    var rfc2217: String?

    @Flag(name: .customLong("rfc2217-raw"), help: "Pass each SET-CONTROL to the lines as it arrives (ser2net), instead of running esptool's reset sequences server-side as esp_rfc2217_server does.")
    var rfc2217Raw = false

    @Option(name: .customLong("pty-link"), help: "With --pty: keep a symlink at PATH to the current pty (it survives re-enumeration).")
    var ptyLink: String?

    @Flag(name: .customLong("usb-serial-jtag"), help: "Connected through the chip's own USB-Serial/JTAG (its reset logic and watchdog).")
    var usbSerialJTAG = false

    @Option(name: .customLong("watchdog-seconds"), help: "USB-Serial/JTAG: seconds until the watchdog resets the chip in download mode.")
    var watchdogSeconds = 9.0

    @Option(name: .customLong("en-rc"), help: "Auto-reset circuit: EN's RC time constant in milliseconds.")
    var enRC = 10.0

    @Option(help: "Crystal frequency in MHz (26 or 40 on ESP32/C2, 40 or 48 on C5).")
    var crystal: Int?

    @Flag(name: .customLong("secure-download-mode"), help: "Secure Download Mode is enabled (eFuse).")
    var secureDownloadMode = false

    @Flag(name: .customLong("flash-encryption"), help: "Flash encryption is enabled (eFuse).")
    var flashEncryption = false

    @Flag(name: .customLong("secure-boot"), help: "Secure boot is enabled (eFuse).")
    var secureBoot = false

    @Flag(name: .customLong("stub-running"), help: "A flasher stub answers instead of the ROM until the chip is reset.")
    var stubRunning = false

    @Option(help: "The chip's factory MAC, like 24:0a:c4:12:34:56 (default: the emulator's own).")
    var mac: String?

    /// `--mac` as six bytes (validated).
    private var macBytes: [UInt8]? {
        guard let mac else { return nil }
        let parts = mac.split(separator: ":", omittingEmptySubsequences: false)
        let bytes = parts.compactMap { $0.count == 2 ? UInt8($0, radix: 16) : nil }
        return parts.count == 6 && bytes.count == 6 ? bytes : nil
    }

    func validate() throws {
        guard RomProfile.profile(for: chip) != nil else {
            throw ValidationError("the emulator plays \(RomProfile.emulatedChips.map(\.rawValue).joined(separator: ", ")), not \(chip)")
        }
        if mac != nil, macBytes == nil { throw ValidationError("--mac takes six hex bytes like 24:0a:c4:12:34:56") }
        if [listen != nil, pty, rfc2217 != nil].filter({ $0 }).count > 1 {
            throw ValidationError("give one of --listen HOST:PORT, --rfc2217 HOST:PORT or --pty")
        }
        if atListen != nil && atPTY { throw ValidationError("give one of --at-listen HOST:PORT or --at-pty, not both") }
        if listen == nil && !pty && rfc2217 == nil && atListen == nil && !atPTY {
            throw ValidationError("give --listen HOST:PORT, --rfc2217 HOST:PORT or --pty (download mode), and/or --at-listen HOST:PORT or --at-pty (the AT UART)")
        }
        if let listen, Self.parseListen(listen) == nil { throw ValidationError("--listen takes HOST:PORT, like 127.0.0.1:0") }
        if let rfc2217, Self.parseListen(rfc2217) == nil { throw ValidationError("--rfc2217 takes HOST:PORT, like 127.0.0.1:0") }
        if ptyLink != nil, !pty { throw ValidationError("--pty-link needs --pty") }
        let profile = RomProfile.profile(for: chip)!
        if let crystal, !profile.crystals.contains(crystal) {
            throw ValidationError("--crystal: the \(chip.displayName) has " + profile.crystals.map { "\($0)" }.joined(separator: " or ") + " MHz")
        }
        if usbSerialJTAG, profile.loader.usbSerialJTAG == nil { throw ValidationError("the \(chip.displayName) has no USB-Serial/JTAG") }
        if secureDownloadMode, profile.loader.securityInfo == .unsupported { throw ValidationError("the ESP32 has no secure download mode") }
        if watchdogSeconds <= 0 || enRC <= 0 { throw ValidationError("--watchdog-seconds and --en-rc must be positive") }
        if let atListen, Self.parseListen(atListen) == nil { throw ValidationError("--at-listen takes HOST:PORT, like 127.0.0.1:0") }
        let size = flashSize.value
        if size < 0x10000 || size & (size - 1) != 0 || size > InputLimits.flashSize {
            throw ValidationError("--flash-size must be a power of two from 64KB to \(InputLimits.describe(InputLimits.flashSize))")
        }
        if let baudModel, baudModel <= 0 { throw ValidationError("--baud-model must be positive") }
        var plan = FaultPlan()
        for spec in fault { if let problem = plan.add(spec) { throw ValidationError(problem) } }
    }

    private func open(_ server: EmulatorServer, tcp: String?, rfc2217: String? = nil, link: String? = nil) throws {
        do throws(EmulatorServer.Failure) {
            if let rfc2217, let (host, port) = Self.parseListen(rfc2217) {
                try server.open(.rfc2217(host: host, port: port))
            } else if let tcp, let (host, port) = Self.parseListen(tcp) {
                try server.open(.tcp(host: host, port: port))
            } else {
                try server.open(.pty(link: link))
            }
        } catch {
            throw CommandFailure.io(error.description)
        }
    }

    /// `8MB`, `128KB`: a size as --flash-size takes it.
    static func sizeText(_ bytes: Int) -> String { bytes >= 1 << 20 ? "\(bytes >> 20)MB" : "\(bytes >> 10)KB" }

    /// The eFuses, crystal and connection the options describe.
    private var configuration: ChipConfiguration {
        var c = ChipConfiguration()
        c.crystalMHz = crystal
        c.secureDownloadMode = secureDownloadMode
        c.flashEncryption = flashEncryption
        c.secureBoot = secureBoot
        c.usbSerialJTAG = usbSerialJTAG
        c.watchdogSeconds = watchdogSeconds
        c.stubRunning = stubRunning
        return c
    }

    /// How DTR/RTS reach the chip: the auto-reset circuit over RFC 2217, the USB-Serial/JTAG's logic when asked;
    /// nil (a chip that waits in download mode) otherwise.
    private var wiring: EmulatedBoard.Wiring? {
        if usbSerialJTAG { return .usbSerialJTAG }
        return rfc2217 != nil ? .autoReset(enTimeConstant: enRC / 1000) : nil
    }

    static func parseListen(_ text: String) -> (String, UInt16)? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        return (String(text[..<colon]), port)
    }

    func run() throws {
        try reportingFailures {
            var plan = FaultPlan()
            for spec in fault { _ = plan.add(spec) }
            var saved: [UInt8]?
            if let flash, access(flash, F_OK) == 0 { saved = try FileIO.read(flash) }
            if let flash, let saved, saved.count > flashSize.value {
                // Saving on exit would cut the file to the chip's size.
                throw CommandFailure(exitCode: ExitStatus.badInput,
                                     message: "\(flash) holds \(saved.count) bytes, more than --flash-size \(InputLimits.describe(flashSize.value))",
                                     help: "give --flash-size \(Self.sizeText(VirtualChipSpec.flashSize(holding: saved.count))) (or larger)")
            }

            let device = EmulatedDevice(profile: RomProfile.profile(for: chip)!, flashSize: flashSize.value, flashContents: saved,
                                        timing: flashTiming, mac: macBytes, configuration: configuration)

            var logFile: UnsafeMutablePointer<FILE>?
            if let log {
                logFile = fopen(log, "a")
                if logFile == nil { throw CommandFailure.io("cannot write \(log): \(String(cString: strerror(errno)))") }
            }
            defer { if let logFile { fclose(logFile) } }
            let logLine: ((String) -> Void)? = logFile.map { file in { line in fputs(line + "\n", file); fflush(file) } }

            let module = EmulatedModule(device: device, powerOn: wiring == nil)
            let board = wiring.map { EmulatedBoard(device: device, module: module, wiring: $0, startInDownloadMode: usbSerialJTAG) }
            board?.onBoot = { boot in
                let line = "boot (\(boot.reason)): " + (boot.mode == .downloadMode ? "download mode" : boot.outcome)
                Console.write(2, line + "\n")
                logLine?(line)
            }
            for boot in board?.boots ?? [] { board?.onBoot?(boot) }  // the power-on boot came before the handler
            let session = EmulatorSession(device: device, board: board, faults: plan, modelledBaud: baudModel, log: logLine)
            let lock = DeviceLock()
            var download: EmulatorServer?
            if listen != nil || pty || rfc2217 != nil {
                let server = EmulatorServer(session: session)
                if rfc2217Raw { server.rfc2217LineMode = .raw }
                try open(server, tcp: listen, rfc2217: rfc2217, link: ptyLink)
                download = server
            }
            var atServer: EmulatorServer?
            var atSession: ATLinkSession?
            if atListen != nil || atPTY {
                let link = ATLinkSession(module: module, faults: plan, bootOnConnect: atListen != nil && board == nil,
                                         log: logLine.map { f in { f("AT " + $0) } })
                let server = EmulatorServer(link: link)
                try open(server, tcp: atListen)
                atServer = server
                atSession = link
                Console.write(2, module.notRunningReason.map { "AT UART: \($0)\n" } ?? "AT UART: AT firmware running on UART\(module.firmware!.uartPort) at \(module.firmware!.baudRate) baud\n")
            }
            if board != nil || (download != nil && atServer != nil) {
                download?.lock = lock
                atServer?.lock = lock
            }
            // A parent may have started us with these blocked (test harnesses do): we rely on them to save.
            var wanted = sigset_t()
            sigemptyset(&wanted)
            sigaddset(&wanted, SIGINT)
            sigaddset(&wanted, SIGTERM)
            pthread_sigmask(SIG_UNBLOCK, &wanted, nil)
            signal(SIGPIPE, SIG_IGN)
            signal(SIGINT) { _ in stopRequested = 1 }
            signal(SIGTERM) { _ in stopRequested = 1 }
            if let portFile, let first = download ?? atServer { try FileIO.writeAtomically(Array((first.connectString + "\n").utf8), to: portFile) }
            if let atPortFile, let atServer { try FileIO.writeAtomically(Array((atServer.connectString + "\n").utf8), to: atPortFile) }
            let endpoints = [download.map { "download mode on \($0.connectString)" }, atServer.map { "AT UART on \($0.connectString)" }].compactMap { $0 }
            Console.write(2, "emulating \(device.profile.chip.displayName) (\(flashSize.value / 1024) KB flash, \(device.crystalMHz) MHz crystal"
                          + (usbSerialJTAG ? ", USB-Serial/JTAG" : "") + "): \(endpoints.joined(separator: ", "))\n")

            if let download, let atServer {
                let thread = ServeThread { atServer.run { stopRequested != 0 } }
                download.run { stopRequested != 0 }
                thread.join()
            } else {
                (download ?? atServer)!.run { stopRequested != 0 }
            }

            if let flash { try FileIO.writeAtomically(device.flash.contents, to: flash) }
            var summary = session.statistics.summary + "\nmd5: \(device.hashedBytes) bytes hashed"
            if let atSession { summary += "\nAT " + atSession.statistics.summary }
            Console.write(2, summary + "\n")
            logLine?(summary)
        }
    }
}

/// A POSIX thread running one serve loop (the AT UART's, beside the download UART's).
final class ServeThread {
    private var thread = pthread_t()
    private let body: () -> Void

    init(_ body: @escaping () -> Void) {
        self.body = body
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { raw in
            let me = Unmanaged<ServeThread>.fromOpaque(raw!).takeRetainedValue()
            me.body()
            return nil
        }, context)
    }

    func join() { pthread_join(thread, nil) }
}
