import ImageFormats
import ChipEmulator
import SerialBootloader
import Testing
import TestSupport

/// The emulated board and ROM behaviours that real hardware has: the auto-reset circuit, the USB-Serial/JTAG reset
/// logic and watchdogs, 24-bit flash addresses, Secure Download Mode's command filter, the crystal's divisor.
@Suite struct BoardTests {
    // MARK: Auto-reset circuit

    @Test func enRisingWithIO0LowEntersDownloadModeOtherwiseTheFlashBoots() {
        var circuit = AutoResetCircuit(enTimeConstant: 0.010, poweredAt: 0)
        #expect(circuit.advance(to: 0.5) == .flash)  // power-on with the lines released
        circuit.setLines(dtr: false, rts: true, at: 1.0)  // EN low
        #expect(circuit.inReset && circuit.advance(to: 1.1) == nil)
        circuit.setLines(dtr: true, rts: false, at: 1.1)  // EN released, IO0 low in the same step
        circuit.setLines(dtr: false, rts: false, at: 1.15)  // IO0 released 50 ms later
        #expect(circuit.advance(to: 1.2) == .downloadMode)  // crossed at 1.1 + 13.9 ms, IO0 still low then
        // Both asserted releases EN with IO0 high: if IO0 goes low only after EN crossed, the flash boots.
        circuit.setLines(dtr: false, rts: true, at: 2.0)
        circuit.setLines(dtr: true, rts: true, at: 2.1)
        circuit.setLines(dtr: true, rts: false, at: 2.12)  // 20 ms later: too late for 10 ms of RC
        #expect(circuit.advance(to: 2.2) == .flash)
        circuit.setLines(dtr: false, rts: true, at: 3.0)
        circuit.setLines(dtr: true, rts: true, at: 3.1)
        circuit.setLines(dtr: true, rts: false, at: 3.102)  // 2 ms: EN has not crossed yet
        #expect(circuit.advance(to: 3.2) == .downloadMode)
        #expect(abs(circuit.releaseDelay - 0.010 * 1.3862944) < 1e-6)
    }

    @Test func usbSerialJTAGLogicFollowsTheLineStateCommands() {
        var usb = USBSerialJTAGResetLogic()
        #expect(usb.setLines(dtr: true, rts: false) == nil && usb.downloadFlag)  // DTR alone: set the flag
        #expect(usb.setLines(dtr: nil, rts: true) == nil)  // both: nothing
        #expect(usb.setLines(dtr: false, rts: nil) == .downloadMode)  // RTS alone: reset, flag set
        #expect(usb.setLines(dtr: false, rts: false) == nil && !usb.downloadFlag)  // both released: clear
        #expect(usb.setLines(dtr: nil, rts: true) == .flash)
    }

    @Test func aBoardBootsItsFlashAndPrintsTheLogs() throws {
        let flash = BootableFlash(chip: .esp32c3).merged
        let device = EmulatedDevice(profile: .profile(for: .esp32c3)!, flashContents: flash)
        let board = EmulatedBoard(device: device, wiring: .autoReset(enTimeConstant: 0.010), at: 0)
        board.advance(to: 0.1)
        #expect(board.state == .running)
        let powerOn = String(decoding: board.takeOutput(), as: UTF8.self)
        #expect(powerOn.contains("boot:0x8 (SPI_FAST_FLASH_BOOT)") && powerOn.contains("Loaded app from partition at offset 0x10000"))
        for (t, dtr, rts) in [(1.0, false, false), (1.0, true, true), (1.0, false, true), (1.1, true, false), (1.15, false, false)] {
            board.setLines(dtr: dtr, rts: rts, at: t)
        }
        board.advance(to: 1.2)
        #expect(board.state == .downloadMode && board.acceptsLoaderTraffic)
        #expect(String(decoding: board.takeOutput(), as: UTF8.self).contains("waiting for download"))
        #expect(board.boots.map(\.mode) == [.flash, .downloadMode])
    }

    /// FLASH_END asking to run user code (esptool's `--after soft-reset`) leaves the loader for the flash: the board
    /// boots the app with a software reset's log, and loader frames are no longer answered.
    @Test func flashEndAskingToRunBootsTheFlash() throws {
        let device = EmulatedDevice(profile: .profile(for: .esp32)!, flashContents: BootableFlash(chip: .esp32).merged)
        let board = EmulatedBoard(device: device, wiring: .usbSerialJTAG, startInDownloadMode: true)
        let session = EmulatorSession(device: device, board: board)
        _ = board.takeOutput()
        var wire: [UInt8] = []
        for (op, data) in [(Opcode.flashBegin, RawHost.words([0, 0, 0x400, 0])), (.flashEnd, RawHost.words([1]))] {
            _ = session.receive(SLIP.encode(CommandPacket(op, data: data).bytes)) { wire += $0; return true }
        }
        #expect(board.state == .running && board.boots.last?.reason == .software)
        #expect(String(decoding: wire, as: UTF8.self).contains("rst:0xc (SW_CPU_RESET)"))
        wire = []
        _ = session.receive(SLIP.encode(CommandPacket(.sync, data: LoaderRequest.syncPayload).bytes)) { wire += $0; return true }
        var decoder = SLIPDecoder()
        #expect(decoder.packets(from: wire).compactMap(ResponsePacket.init(frame:)).isEmpty)
    }

    @Test func theUSBSerialJTAGWatchdogResetsTheChipUnlessDisabled() throws {
        var configuration = ChipConfiguration()
        configuration.usbSerialJTAG = true
        configuration.watchdogSeconds = 2
        for disable in [false, true] {
            let device = EmulatedDevice(profile: .profile(for: .esp32s3)!, configuration: configuration)
            let board = EmulatedBoard(device: device, wiring: .usbSerialJTAG, startInDownloadMode: true, at: 0)
            #expect(device.watchdogArmed && board.nextDeadline == 2)
            let host = RawHost(device: device)
            let wdt = try #require(Chip.esp32s3.loader?.usbSerialJTAG)
            // Without the key the write is ignored.
            #expect(host.ok(.writeReg, RawHost.words([wdt.rtcWatchdogConfig0, 0, 0xFFFF_FFFF, 0])))
            #expect(device.watchdogArmed)
            if disable {
                let key = USBSerialJTAGFacts.rtcWatchdogKey
                #expect(host.ok(.writeReg, RawHost.words([wdt.rtcWatchdogWriteProtect, key, 0xFFFF_FFFF, 0, wdt.rtcWatchdogConfig0, 0, 0xFFFF_FFFF, 0,
                                                          wdt.rtcWatchdogWriteProtect, 0, 0xFFFF_FFFF, 0])))
                #expect(device.watchdogArmed)  // the super watchdog still runs
                #expect(host.ok(.writeReg, RawHost.words([wdt.superWatchdogWriteProtect, wdt.superWatchdogKey, 0xFFFF_FFFF, 0,
                                                          wdt.superWatchdogConfig, wdt.superWatchdogAutoFeed, 0xFFFF_FFFF, 0,
                                                          wdt.superWatchdogWriteProtect, 0, 0xFFFF_FFFF, 0])))
                #expect(!device.watchdogArmed)
            }
            board.advance(to: 2.5)
            #expect(board.state == (disable ? .downloadMode : .running))
            if !disable { #expect(board.boots.last?.reason == .watchdog) }
        }
    }

    // MARK: ROM

    /// On a flash larger than 16 MB the ROM's 24-bit addresses wrap: a BEGIN at 16 MB erases and writes sector 0,
    /// and an MD5 at 16 MB hashes the start of the flash.
    @Test func flashAddressesWrapAtSixteenMegabytes() {
        let host = RawHost(.esp32s3, flashSize: 32 << 20)
        host.device.tamper(with: [UInt8](repeating: 0x11, count: 0x1000), at: 0)
        #expect(host.ok(.spiSetParams, RawHost.words([0, 32 << 20, 0x10000, 0x1000, 0x100, 0xFFFF])))
        #expect(host.begin(size: 0x400, offset: 0x100_0000).first?.status().failed == false)
        #expect(host.dataBlock([UInt8](repeating: 0x42, count: 4)).first?.status().failed == false)
        #expect(Array(host.device.flash.read(0, 6)) == [0x42, 0x42, 0x42, 0x42, 0xFF, 0xFF])
        #expect(host.device.flash.read(0x100_0000, 0x1000).allSatisfy { $0 == 0xFF })
        #expect(host.md5(0x100_0000, 0x1000) == host.md5(0, 0x1000))
    }

    /// Secure Download Mode: the allowed commands work; READ_REG, SPI_FLASH_MD5, FLASH_DEFL_* and READ_FLASH_SLOW
    /// get the "unsupported" answer; GET_SECURITY_INFO carries the flag (bit 2), secure boot (bit 0) and crypt count.
    @Test func secureDownloadModeFiltersCommands() {
        var configuration = ChipConfiguration()
        configuration.secureDownloadMode = true
        configuration.flashEncryption = true
        let host = RawHost(device: EmulatedDevice(profile: .profile(for: .esp32c3)!, configuration: configuration))
        #expect(host.send(.sync, LoaderRequest.syncPayload).count == 8)
        #expect(host.ok(.spiSetParams, RawHost.words([0, 4 << 20, 0x10000, 0x1000, 0x100, 0xFFFF])))
        #expect(host.begin(size: 0x1000, offset: 0x10000).first?.status().failed == false)
        for op in [Opcode.readReg, .spiFlashMD5, .flashDeflBegin, .readFlashSlow] {
            let replies = host.send(op, RawHost.words([0, 0, 0, 0]))
            #expect(replies.count == 8 && replies.allSatisfy { $0.data.prefix(2) == [1, 5] }, "\(op)")
        }
        let info = SecurityInfo(bytes: Array(host.send(.getSecurityInfo).first!.data.prefix(20)))
        #expect(info?.secureDownloadMode == true && info?.flashEncryptionEnabled == true && info?.secureBootEnabled == false)
    }

    /// CHANGE_BAUDRATE sets the divider from the clock the ROM assumes: on a C2 with a 26 MHz crystal a request for
    /// 921600 runs at 599040, and a host at 921600 reads garbage; 921600 × 40 / 26 gives 921600.
    @Test func theC2ROMAssumesAFortyMegahertzCrystal() {
        var configuration = ChipConfiguration()
        configuration.crystalMHz = 26
        let device = EmulatedDevice(profile: .profile(for: .esp32c2)!, configuration: configuration)
        let session = EmulatorSession(device: device)
        func exchange(_ op: Opcode, _ data: [UInt8], lineBaud: Int) -> [ResponsePacket] {
            var wire: [UInt8] = []
            _ = session.receive(SLIP.encode(CommandPacket(op, data: data).bytes), lineBaud: lineBaud) { wire += $0; return true }
            var decoder = SLIPDecoder()
            return decoder.packets(from: wire).compactMap(ResponsePacket.init(frame:))
        }
        #expect(exchange(.changeBaudrate, RawHost.words([921_600, 0]), lineBaud: 115_200).count == 1)
        #expect(device.baudRate == 599_040)
        #expect(exchange(.sync, LoaderRequest.syncPayload, lineBaud: 921_600).isEmpty)  // garbled both ways
        #expect(exchange(.changeBaudrate, RawHost.words([921_600 * 40 / 26, 0]), lineBaud: 599_040).count == 1)
        #expect(abs(device.baudRate! - 921_600) < 10)
        #expect(exchange(.sync, LoaderRequest.syncPayload, lineBaud: 921_600).count == 8)
    }

    /// SPI_FLASH_MD5 takes time under typical timing (2 MiB/s) and is counted.
    @Test func md5IsTimedAndCounted() {
        let device = EmulatedDevice(profile: .profile(for: .esp32)!, timing: .typical)
        let output = device.handle(frame: CommandPacket(.spiFlashMD5, data: RawHost.words([0, 1 << 20, 0, 0])).bytes)
        #expect(abs(output.busySeconds - 0.5) < 1e-9)
        #expect(device.hashedBytes == 1 << 20)
    }
}
