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
        #expect(try loader.readCrystalMHz() == 40)
        if chip == .esp32 {
            #expect(loader.securityInfo == nil)
            #expect(try loader.readRevision() == ChipRevision(major: 3, minor: 0))
        } else {
            #expect(loader.securityInfo?.chipID == (chip == .esp32s3 ? 9 : 5))
        }
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
    }
}
