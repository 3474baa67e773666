import ImageFormats
import SerialBootloader

/// An emulated chip running from flash: it boots with `BootModel` and, when an app with an AT layout started,
/// runs `EmulatedATFirmware` on its AT UART. AT+RST and AT+RESTORE boot it again from the flash as it is then, so
/// what download mode or AT+SYSFLASH wrote meanwhile counts.
///
/// UART0 carries the boot log; the AT UART is the one factory_param names (UART1 on ESP32 and ESP32-C3 modules),
/// so the host on the AT UART sees only `ready`, unless factory_param puts the AT commands on UART0 too.
public final class EmulatedModule {
    public let device: EmulatedDevice
    public private(set) var lastBoot: BootModel.Result
    public private(set) var firmware: EmulatedATFirmware?
    /// Everything UART0 printed, oldest first (the last 64 KB).
    public private(set) var console = ""
    /// Boots so far (power-on included).
    public private(set) var boots = 0
    /// What the AT UART showed after the last reset (`ready`; empty when the AT firmware did not start).
    public private(set) var bootOutputOnATUART: [UInt8] = []
    /// What the AT UART printed after a reset nobody on that UART caused (a reset circuit, a watchdog), not yet
    /// read by its client: delivered before the next reply.
    public private(set) var undeliveredATOutput: [UInt8] = []

    /// Powers the chip on: it boots from the flash it has now (unless `powerOn` is false: a board decides when).
    public init(device: EmulatedDevice, powerOn: Bool = true) {
        self.device = device
        lastBoot = BootModel.Result(log: "", outcome: .bootLoop(reason: "not started"))
        if powerOn { _ = reset(.powerOn) }
    }

    /// Why the AT firmware is not running, or nil when it is.
    public var notRunningReason: String? {
        switch lastBoot.outcome {
        case .bootLoop(let reason): return "the chip does not boot: \(reason)"
        case .app(let app) where app.atLayout == nil:
            return "the app in \(app.partition.name) started, but the main partition table has no at_customize partition"
        case .app: return firmware == nil ? "the AT firmware is not running" : nil
        }
    }

    /// Resets into normal boot; returns what the AT UART shows afterwards (`ready`, plus the boot log when the AT
    /// commands share UART0 with it).
    /// `deliverLater` keeps the AT UART's output for its client's next exchange (`undeliveredATOutput`).
    @discardableResult
    public func reset(_ reason: BootModel.ResetReason, deliverLater: Bool = false) -> [UInt8] {
        boots += 1
        let security = BootModel.Security(flashEncryption: device.configuration.flashEncryption,
                                          secureBoot: device.configuration.secureBoot)
        lastBoot = BootModel.boot(flash: device.flash.contents, chip: device.profile.chip, reset: reason, security: security)
        appendConsole(lastBoot.log)
        firmware = nil
        bootOutputOnATUART = []
        undeliveredATOutput = []
        guard case .app(let app) = lastBoot.outcome, app.atLayout != nil else { return [] }
        let at = EmulatedATFirmware(device: device, app: app)
        firmware = at
        bootOutputOnATUART = (at.uartPort == 0 ? Array(lastBoot.log.utf8) : []) + at.start()
        if deliverLater { undeliveredATOutput = bootOutputOnATUART }
        return bootOutputOnATUART
    }

    /// The chip is held in reset or sits in download mode: the AT firmware does not run.
    public func stop() {
        firmware = nil
        undeliveredATOutput = []
    }

    /// Hands over what the AT UART printed after a reset its client did not cause.
    public func takeUndeliveredATOutput() -> [UInt8] {
        defer { undeliveredATOutput = [] }
        return undeliveredATOutput
    }

    /// The AT UART's rate now; nil when the AT firmware is not running.
    public var atBaudRate: Int? { firmware?.baudRate }

    /// Bytes the host sent on the AT UART; returns the replies, each with the bytes that follow it (a restart's
    /// `ready`) already appended.
    public func receiveAT(_ bytes: [UInt8]) -> [EmulatedATFirmware.Reply] {
        guard let firmware else { return [] }
        var replies = firmware.receive(bytes)
        for i in replies.indices where replies[i].action == .restart {
            replies[i].bytes += reset(.software)
        }
        return replies
    }

    private func appendConsole(_ text: String) {
        console += text
        if console.utf8.count > 65536 { console = String(console.suffix(32768)) }
    }
}
