import ImageFormats
import SerialBootloader

/// An emulated chip on a board: its ROM loader (`EmulatedDevice`), what it runs from flash (`EmulatedModule`), and
/// how the host's DTR/RTS reach it, through the two-transistor auto-reset circuit or the chip's own
/// USB-Serial/JTAG. It leaves reset into download mode only when the lines say so (IO0 low as EN rises, or the
/// USB download flag set), and otherwise boots what is in flash: the ROM boot log, then the app or a boot loop.
/// What UART0 prints waits in `takeOutput()` for the download UART's client.
///
/// On USB-Serial/JTAG a reset keeps the RTC domain, so the watchdog the app's bootloader armed keeps running in
/// download mode: unless the host disables it (`disable_watchdogs`), it resets the chip `watchdogSeconds` after
/// download mode was entered, and the chip starts the app.
public final class EmulatedBoard {
    public enum Wiring: Sendable, Equatable {
        /// A USB-UART bridge with the auto-reset circuit; EN's RC time constant in seconds.
        case autoReset(enTimeConstant: Double)
        /// The chip's own USB-Serial/JTAG.
        case usbSerialJTAG
    }

    public enum State: Sendable, Equatable {
        case inReset
        /// The ROM loader waits for commands.
        case downloadMode
        /// Booted from flash: running an app, or in a boot loop.
        case running
    }

    /// One time the chip left reset.
    public struct Boot: Sendable {
        public var time: Double
        public var mode: AutoResetCircuit.Boot
        public var reason: BootModel.ResetReason
        /// For a boot from flash: the app's partition, or why it loops.
        public var outcome: String
    }

    public let device: EmulatedDevice
    public let module: EmulatedModule
    public let wiring: Wiring
    public private(set) var state: State
    /// Every time the chip left reset, oldest first.
    public private(set) var boots: [Boot] = []
    /// Called with a line for each boot (the emulator logs them).
    public var onBoot: ((Boot) -> Void)?
    private var circuit: AutoResetCircuit
    private var usb = USBSerialJTAGResetLogic()
    private var output: [UInt8] = []
    private var watchdogDeadline: Double?

    /// The board powered at `time`. Over the auto-reset circuit it boots as the released lines say (from flash);
    /// over USB-Serial/JTAG `startInDownloadMode` has it waiting in download mode, as after a host's USB reset.
    public init(device: EmulatedDevice, module: EmulatedModule? = nil, wiring: Wiring, startInDownloadMode: Bool = false,
                at time: Double? = nil) {
        let time = time ?? Clock.now()
        self.device = device
        self.module = module ?? EmulatedModule(device: device, powerOn: false)
        self.wiring = wiring
        let rc: Double = if case .autoReset(let tau) = wiring { tau } else { 0 }
        circuit = AutoResetCircuit(enTimeConstant: rc, poweredAt: time)
        state = .inReset
        if startInDownloadMode {
            _ = circuit.advance(to: time + circuit.releaseDelay)
            leaveReset(.downloadMode, reason: .powerOn, at: time)
        } else if case .usbSerialJTAG = wiring {
            _ = circuit.advance(to: time + circuit.releaseDelay)
            leaveReset(.flash, reason: .powerOn, at: time)
        } else {
            advance(to: time)
        }
    }

    /// Whether the ROM loader is listening (bytes on UART0 are loader frames).
    public var acceptsLoaderTraffic: Bool { state == .downloadMode }

    /// The host set DTR and/or RTS at `time` (one request; both given means both changed at once).
    public func setLines(dtr: Bool?, rts: Bool?, at time: Double) {
        advance(to: time)
        switch wiring {
        case .autoReset:
            if circuit.setLines(dtr: dtr, rts: rts, at: time) || circuit.inReset { enterReset() }
        case .usbSerialJTAG:
            if let boot = usb.setLines(dtr: dtr, rts: rts) { leaveReset(boot, reason: .usbSerialJTAG, at: time) }
        }
        advance(to: time)
    }

    /// Lets time pass: EN crossing its threshold, or a watchdog expiring.
    public func advance(to time: Double) {
        if let boot = circuit.advance(to: time), case .autoReset = wiring {
            leaveReset(boot, reason: .powerOn, at: time)
        }
        if let deadline = watchdogDeadline, time >= deadline {
            watchdogDeadline = nil
            if state == .downloadMode, device.watchdogArmed {
                usb.clearFlag()
                leaveReset(.flash, reason: .watchdog, at: deadline)
            }
        }
    }

    /// The ROM left its loader for the app (FLASH_END asking to run user code, esptool's `--after soft-reset`): it
    /// boots the flash as after a software reset, and loader frames are no longer taken.
    public func loaderRanUserCode(at time: Double) {
        guard state == .downloadMode else { return }
        leaveReset(.flash, reason: .software, at: time)
    }

    /// The next moment something happens without the host doing anything.
    public var nextDeadline: Double? {
        [circuit.nextEvent, watchdogDeadline].compactMap { $0 }.min()
    }

    /// What UART0 printed since the last call.
    public func takeOutput() -> [UInt8] {
        defer { output.removeAll() }
        return output
    }

    private func enterReset() {
        guard state != .inReset else { return }
        state = .inReset
        watchdogDeadline = nil
        module.stop()
    }

    private func leaveReset(_ mode: AutoResetCircuit.Boot, reason: BootModel.ResetReason, at time: Double) {
        device.resetROM()
        let outcome: String
        switch mode {
        case .downloadMode:
            state = .downloadMode
            module.stop()
            output += Array(BootModel.downloadModeLog(chip: device.profile.chip, reset: reason).utf8)
            outcome = "waiting for download"
            if case .usbSerialJTAG = wiring, device.watchdogArmed {
                watchdogDeadline = time + device.configuration.watchdogSeconds
            }
        case .flash:
            state = .running
            watchdogDeadline = nil
            module.reset(reason, deliverLater: true)
            output += Array(module.lastBoot.log.utf8)
            outcome = switch module.lastBoot.outcome {
            case .app(let app): "app in \(app.partition.name) started" + (app.description.map { " (\($0.projectName) \($0.version))" } ?? "")
            case .bootLoop(let why): "boot loop: \(why)"
            }
        }
        let boot = Boot(time: time, mode: mode, reason: reason, outcome: outcome)
        boots.append(boot)
        onBoot?(boot)
    }
}
