import ImageFormats
import Testing
import ChipEmulator
@testable import SerialBootloader

@Suite("Loader client against the emulated ROM")
struct LoaderConnectionTests {
    @Test("connect detects the chip, reads MAC, flash id and size", arguments: RomProfile.emulatedChips)
    func connectAndIdentify(chip: Chip) throws {
        let emulated = try EmulatedChip(chip, flashSize: 8 << 20, setFlashSize: false)
        let loader = emulated.loader
        #expect(loader.chip == chip)
        #expect(try loader.readMAC() == emulated.device.mac)
        let id = try loader.readFlashID()
        #expect(id == 0x17_40EF)
        #expect(FlashSize.detected(fromJEDEC: id)?.bytes == 8 << 20)
        let profile = RomProfile.profile(for: chip)!
        #expect(try loader.readCrystalMHz() == profile.defaultCrystalMHz)
        #expect(try loader.readRevision() == profile.revision)
        switch chip.loader!.securityInfo {
        case .unsupported: #expect(loader.securityInfo == nil)
        case .withoutChipID: #expect(loader.securityInfo != nil && loader.securityInfo?.chipID == nil)
        case .withChipID: #expect(loader.securityInfo?.chipID == chip.imageChipID.map(UInt32.init))
        }
        var unfused = SecurityState()
        unfused.manualEncryptDisabled = false
        #expect(try loader.readSecurity() == unfused)
    }

    @Test("an unknown command reads as unsupported and the eight replies do not confuse the next command")
    func unsupportedCommand() throws {
        let emulated = try EmulatedChip(.esp32)
        let connection = emulated.loader.connection
        #expect(throws: LoaderError.self) { try connection.command(.eraseFlash) }
        do { try connection.command(.eraseFlash) } catch { #expect(error.kind == .unsupported); #expect(error.command == "ERASE_FLASH") }
        #expect(try connection.readRegister(Chip.magicRegister) == 0x00F0_1D83)
    }

    @Test("a missing reply is a timeout naming the command; the next SYNC works")
    func droppedReply() throws {
        var plan = FaultPlan()
        plan.dropReply = 1
        let device = EmulatedDevice(profile: .profile(for: .esp32c3)!)
        let session = EmulatorSession(device: device, faults: plan)
        let connection = LoaderConnection(transport: InProcessTransport(session: session, portName: "virtual://esp32c3"))
        do {
            try connection.command(.readReg, le32(Chip.magicRegister))
            Issue.record("expected a timeout")
        } catch {
            #expect(error.kind == .timeout)
            #expect(error.description.hasPrefix("READ_REG"))
        }
    }

    @Test("timeouts scale with the work and keep esptool's floor and cap")
    func timeouts() {
        let t = CommandTimeouts.standardTimeouts
        #expect(t.erase(bytes: 1000) == 3)
        #expect(abs(t.erase(bytes: 1 << 20) - 41.94304) < 1e-9)
        #expect(t.md5(bytes: 4 << 20) == 8 * 4.194304)
        #expect(t.erase(bytes: 16 << 20) == 240)
    }

    @Test("reset sequences are the esp_pylib ones")
    func resetSequences() {
        let classic = ResetSequence.classic(delay: 0.05).steps
        #expect(classic.first == .lines(dtr: false, rts: nil))
        #expect(classic.contains(.sleep(0.05)))
        #expect(ResetSequence.strategies(for: .defaultReset, hasControlLines: true).map(\.name) == ["unix-tight", "unix-tight", "classic", "classic"])
        #expect(ResetSequence.strategies(for: .defaultReset, hasControlLines: false).isEmpty)
        #expect(ResetSequence.strategies(for: .usbReset, hasControlLines: true) == [.usbJTAG])
        // Lines that cannot change together (RFC 2217): classic only, as esptool; a USB-Serial/JTAG port: its own.
        #expect(ResetSequence.strategies(for: .defaultReset, hasControlLines: true, linesChangeTogether: false).map(\.name) == ["classic", "classic"])
        #expect(ResetSequence.strategies(for: .defaultReset, hasControlLines: true, usbSerialJTAG: true) == [.usbJTAG])
        // Every tight step sets both lines; the hard reset releases DTR with RTS.
        #expect(ResetSequence.unixTight(delay: 0.05).steps.allSatisfy { if case .lines(let d, let r) = $0 { d != nil && r != nil || d == false && r == nil } else { true } })
        #expect(ResetSequence.hardReset().steps.first == .lines(dtr: false, rts: true))
        // esptool's custom_reset_sequence form.
        let custom = try? ResetSequence.custom("D0|R1|W0.1|U1,0|W0.05|D0").get()
        #expect(custom?.steps == [.lines(dtr: false, rts: nil), .lines(dtr: nil, rts: true), .sleep(0.1), .lines(dtr: true, rts: false), .sleep(0.05), .lines(dtr: false, rts: nil)])
        #expect((try? ResetSequence.custom("D2").get()) == nil && (try? ResetSequence.custom("X1").get()) == nil)
    }
}
