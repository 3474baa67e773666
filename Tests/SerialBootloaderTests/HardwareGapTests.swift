import ChipEmulator
import Foundation
import ImageFormats
import Testing
import TestSupport
@testable import SerialBootloader

/// The hardware behaviours issue 11 lists, each against an emulated chip that models it (virtual:// options).
@Suite("Real-hardware behaviours")
struct HardwareGapTests {
    static func request(_ url: String, before: BeforeAction = .noReset, baud: Int = 115_200,
                        flashSize: FlashSizeChoice = .keep) throws -> ConnectRequest {
        var request = ConnectRequest(port: try PortAddress(parsing: url), opener: EmulatorPortOpener())
        request.before = before
        request.baudRate = baud
        request.flashSize = flashSize
        request.connectAttempts = 3
        request.reopenTimeout = 1
        return request
    }

    static func temporaryFile(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("hw-\(UUID().uuidString)-\(name)").path
    }

    static func flash(_ path: String) -> [UInt8] { Array((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()) }

    // MARK: Crystal and baud

    /// Every C2 AT module has a 26 MHz crystal, and the C2's ROM computes its divider as if it had 40: asked for
    /// 921600 it runs at 599040, which a host at 921600 cannot read. The client reads the crystal from the UART
    /// divider and asks for 921600 × 40 / 26; the C5 the same with 40 against its ROM's 48.
    @Test(arguments: [("esp32c2", 26), ("esp32c2", 40), ("esp32c5", 40), ("esp32c5", 48), ("esp32", 26)])
    func highBaudRateWithTheCrystalTheChipHas(_ chip: String, _ crystal: Int) throws {
        let file = Self.temporaryFile("flash.bin")
        let request = try Self.request("virtual://\(chip)?crystal=\(crystal)&flash=\(file)", baud: 921_600)
        let image = FlashImage(address: 0x10000, data: TestData.firmware(60_000, seed: 9), name: "app.bin")
        let outcome = DeviceJob.run(request, after: .noReset) { session throws(JobFailure) in
            #expect(session.info.crystalMHz == crystal)
            #expect(session.info.baudRate == 921_600)
            return try session.write([image])
        }
        #expect(outcome.failure == nil, "\(String(describing: outcome.failure))")
        #expect((try? outcome.result.get())?.regions.map(\.status) == [.verified])
        #expect(Array(Self.flash(file)[0x10000..<(0x10000 + 60_000)]) == image.data)
    }

    /// Without the correction the link is garbled, and the client says so instead of going on: a C2 whose UART
    /// divider reads as a 40 MHz crystal's makes the client send 921600 unscaled; the chip does not answer at the
    /// new rate, is reset back to 115200 through its auto-reset circuit, and the change fails.
    @Test func aBaudChangeThatDoesNotTakeIsCaughtAndUndone() throws {
        let address = try PortAddress(parsing: "virtual://esp32c2?crystal=26&reset=circuit")
        let opener = EmulatorPortOpener()
        let transport = try opener.open(address, baudRate: 115_200) as! InProcessTransport
        transport.device.registerOverrides[0x6000_0014] = UInt32(40_000_000 / 115_200)  // reads as 40 MHz
        let connection = LoaderConnection(transport: transport)
        let loader = try Bootloader.connect(connection, options: ConnectOptions(before: .defaultReset))
        #expect(try loader.readCrystalMHz() == 40)
        #expect { try loader.changeBaudRate(921_600) } throws: { error in
            (error as? LoaderError)?.kind == .unusable && "\(error)".contains("does not answer at 921600")
        }
        #expect(transport.device.baudRate == nil && transport.baudRate == 115_200)  // reset: the ROM auto-bauds again
        #expect(try connection.readRegister(Chip.magicRegister) == RomProfile.profile(for: .esp32c2)!.magicValue)
    }

    // MARK: USB-Serial/JTAG

    /// A C3 on its USB-Serial/JTAG keeps the watchdog its app armed; a write that lasts longer than the watchdog
    /// survives only because the client disables it (`--before usb-reset` says the port is the USB-Serial/JTAG).
    /// The watchdog is 1 s here and the write (typical flash timing) several seconds; scripts/usj-watchdog.sh runs
    /// the same at 9 s against a 60 s write.
    @Test func usbSerialJTAGWatchdogIsDisabledForALongWrite() throws {
        var bytes = [UInt8](repeating: 0xFF, count: 1 << 20)
        bytes.replaceSubrange(0..<600_000, with: TestData.firmware(600_000, seed: 4))
        let image = FlashImage(address: 0x0, data: bytes, name: "factory.bin")
        func write(_ before: BeforeAction) throws -> (outcome: JobOutcome<WriteResult>, file: String) {
            let file = Self.temporaryFile("flash.bin")
            let request = try Self.request("virtual://esp32c3?usb-serial-jtag=1&watchdog=1&timing=typical&flash=\(file)", before: before)
            let outcome = DeviceJob.run(request, after: .noReset) { session throws(JobFailure) in
                #expect(session.info.usbSerialJTAG == (before == .usbReset))
                return try session.write([image])
            }
            return (outcome, file)
        }
        let started = Date()
        let disabled = try write(.usbReset)
        #expect(Date().timeIntervalSince(started) > 2, "the write must outlast the watchdog for this test to mean something")
        #expect(disabled.outcome.failure == nil, "\(String(describing: disabled.outcome.failure))")
        #expect(Self.flash(disabled.file).prefix(1 << 20).elementsEqual(image.data))
        // Not known to be USB-Serial/JTAG: the watchdog resets the chip into its flash part way, and the job fails.
        let armed = try write(.noReset)
        #expect(armed.outcome.failure?.reason == .noResponse || armed.outcome.failure?.reason == .deviceError,
                "\(String(describing: armed.outcome.failure))")
    }

    // MARK: 24-bit addresses

    /// On a 32 MB flash the ROM reaches only the first 16 MB: a write at 16 MB is refused before anything is sent
    /// (it would land on the bootloader), erase-flash refuses too, and nothing is reported verified.
    @Test func writesPastSixteenMegabytesAreRefusedInROMMode() throws {
        let file = Self.temporaryFile("flash.bin")
        let request = try Self.request("virtual://esp32s3?size=32MB&flash=\(file)")
        let boot = FlashImage(address: 0x0, data: TestData.firmware(20_000, seed: 1), name: "boot.bin")
        let high = FlashImage(address: 0x100_0000, data: TestData.firmware(4_096, seed: 2), name: "high.bin")
        let log = EventLog()
        let outcome = DeviceJob.run(request, after: .noReset, context: log.context) { session throws(JobFailure) in
            #expect(session.info.flashSize.name == "32MB")
            _ = try session.write([boot])
            return try session.write([high])
        }
        let failure = try #require(outcome.failure)
        #expect(failure.stage == .check && failure.reason == .invalidInput)
        #expect(failure.message.contains("past 16 MB") && failure.regions.allSatisfy { $0.status == .pending })
        #expect(log.warnings.contains { $0.contains("first 16 MB") })
        #expect(Self.flash(file).prefix(20_000).elementsEqual(boot.data))  // the bootloader is intact
        let erase = DeviceJob.run(request, after: .noReset) { session throws(JobFailure) in try session.erase(.all) }
        #expect(erase.failure?.stage == .check && erase.failure?.message.contains("16 MB") == true)
        #expect(Self.flash(file).prefix(20_000).elementsEqual(boot.data))
    }

    // MARK: Secure Download Mode

    /// An S3 in Secure Download Mode: no register, flash id or MD5 can be read; `-fs` sets the size, the write goes
    /// plain (no FLASH_DEFL), and the report says "unverifiable": the job fails unless verification is waived.
    @Test func secureDownloadModeWritesButCannotVerify() throws {
        let file = Self.temporaryFile("flash.bin")
        let request = try Self.request("virtual://esp32s3?secure-download-mode=1&flash=\(file)", flashSize: .fixed(FlashSize(name: "4MB")!))
        let image = FlashImage(address: 0x10000, data: TestData.firmware(30_000, seed: 3), name: "app.bin")
        let outcome = DeviceJob.run(request, after: .noReset) { session throws(JobFailure) in
            #expect(session.info.security.secureDownloadMode && session.info.mac.isEmpty && !session.info.flashIDKnown)
            return try session.write([image])
        }
        let failure = try #require(outcome.failure)
        #expect(failure.stage == .verify && failure.reason == .notVerifiable)
        #expect(failure.regions.map(\.status) == [.unverifiable])
        #expect(Array(Self.flash(file)[0x10000..<(0x10000 + 30_000)]) == image.data)

        var options = WriteOptions()
        options.transfer.verify = false
        let waived = DeviceJob.run(request, after: .noReset) { session throws(JobFailure) in try session.write([image], options: options) }
        #expect((try? waived.result.get())?.regions.map(\.status) == [.unverifiable])
        let read = DeviceJob.run(request, after: .noReset) { session throws(JobFailure) in try session.read(address: 0, length: .bytes(64)) }
        #expect(read.failure?.message.contains("secure download mode") == true)
    }

    /// An ESP32-S2 in Secure Download Mode answers GET_SECURITY_INFO without a chip id and refuses READ_REG: that
    /// refusal identifies it (esptool `detect_chip`).
    @Test func anS2InSecureDownloadModeIsRecognised() throws {
        let request = try Self.request("virtual://esp32s2?secure-download-mode=1", flashSize: .fixed(FlashSize(name: "4MB")!))
        let outcome = DeviceJob.run(request, after: .noReset) { session throws(JobFailure) in session.info }
        #expect(outcome.device?.chip == .esp32s2 && outcome.device?.security.secureDownloadMode == true)
    }

    // MARK: Flash encryption and secure boot

    /// Flash encryption on: a plaintext firmware image would be decrypted into garbage, so it is refused (unless
    /// forced); so is any write where the ROM cannot encrypt. ESP32 secure boot is read from its eFuse before any
    /// header is patched, and v1 protects the bootloader region.
    @Test func securityEFusesAreCheckedBeforeWriting() throws {
        let app = FlashImage(address: 0x10000, data: TestAppImage.build(chip: .esp32c3, version: "v1", idfVersion: "v5"), name: "app.bin")
        let encrypted = DeviceJob.run(try Self.request("virtual://esp32c3?flash-encryption=1"), after: .noReset) { session throws(JobFailure) in
            #expect(session.info.security.flashEncryption)
            return try session.write([app])
        }
        #expect(encrypted.failure?.stage == .check && encrypted.failure?.message.contains("plaintext firmware image") == true)
        var force = WriteOptions()
        force.force = true
        let forced = DeviceJob.run(try Self.request("virtual://esp32c3?flash-encryption=1"), after: .noReset) { session throws(JobFailure) in
            try session.write([app], options: force)
        }
        #expect(forced.failure == nil)
        let erase = DeviceJob.run(try Self.request("virtual://esp32c3?flash-encryption=1"), after: .noReset) { session throws(JobFailure) in
            try session.erase(.region(address: 0x10000, size: 0x1000))
        }
        #expect(erase.failure?.stage == .check)

        var patch = WriteOptions()
        patch.flashMode = .dout
        let esp32 = DeviceJob.run(try Self.request("virtual://esp32?secure-boot=1", flashSize: .fixed(FlashSize(name: "4MB")!)),
                                  after: .noReset, context: EventLog().context) { session throws(JobFailure) in
            #expect(session.info.security.secureBoot)
            return try session.write([FlashImage(address: 0x1000, data: TestAppImage.build(chip: .esp32, version: "b", idfVersion: "v5"), name: "boot.bin")],
                                     options: patch)
        }
        #expect((try? esp32.result.get())?.regions.map(\.patched) == [false])
    }

    // MARK: Connecting

    /// A flasher stub left running answers SYNC with zeros: without a reset the client says what it is; with the
    /// auto-reset circuit it resets the chip into its ROM and goes on.
    @Test func aStubLeftRunningIsRecognised() throws {
        let stuck = DeviceJob.run(try Self.request("virtual://esp32c3?stub-running=1"), after: .noReset) { _ throws(JobFailure) in () }
        #expect(stuck.failure?.stage == .connect && stuck.failure?.message.contains("flasher stub") == true)
        let reset = DeviceJob.run(try Self.request("virtual://esp32c3?stub-running=1&reset=circuit", before: .defaultReset),
                                  after: .noReset) { session throws(JobFailure) in session.info.chip }
        #expect((try? reset.result.get()) == .esp32c3)
    }

    /// A flash chip that does not answer reads RDID 0xFFFFFF: an error, not a silent "4MB" (unless -fs names it).
    @Test func aSilentFlashChipIsAnError() throws {
        let outcome = DeviceJob.run(try Self.request("virtual://esp32?no-flash=1"), after: .noReset) { _ throws(JobFailure) in () }
        #expect(outcome.failure?.stage == .connect && outcome.failure?.message.contains("does not answer") == true)
        let log = EventLog()
        let sized = DeviceJob.run(try Self.request("virtual://esp32?no-flash=1", flashSize: .fixed(FlashSize(name: "4MB")!)),
                                  after: .noReset, context: log.context) { _ throws(JobFailure) in () }
        #expect(sized.failure == nil && log.warnings.contains { $0.contains("does not answer") })
    }

    // MARK: Large erases

    /// A large erase is several FLASH_BEGINs of at most 1 MB, each with its own timeout, with an event after each.
    @Test func aLargeEraseGoesInChunksWithProgress() throws {
        let log = EventLog()
        let outcome = DeviceJob.run(try Self.request("virtual://esp32"), after: .noReset, context: log.context) { session throws(JobFailure) in
            try session.erase(.all)
        }
        #expect(outcome.failure == nil)
        let erases = log.all.compactMap { if case .erasing(nil, let address, let size) = $0 { (address, size) } else { nil } }
        #expect(erases.map(\.0) == [0, 1 << 20, 2 << 20, 3 << 20] && erases.allSatisfy { $0.1 == 1 << 20 })
    }

    // MARK: MD5 cost

    /// Writing a 4 MB factory image onto a blank chip hashes about the image once (each 0xFF run once to see it
    /// needs no erase, each written segment once to verify it, plus a 4 KB probe per segment); a second write of
    /// the same image hashes it once more and sends nothing.
    @Test func aFactoryImageCostsAboutOneMD5Pass() throws {
        let opener = ChipOpener(.esp32)
        let image = FlashImage(address: 0, data: TestData.factoryImage(seed: 11), name: "factory.bin")
        for pass in 0..<2 {
            let outcome = DeviceJob.run(opener.request, after: .noReset) { session throws(JobFailure) in try session.write([image]) }
            let result = try #require(try? outcome.result.get())
            #expect(result.regions.map(\.status) == [pass == 0 ? .verified : .skipped])
            #expect(Double(result.hashedBytes) <= 1.1 * Double(image.data.count), "pass \(pass): \(result.hashedBytes) bytes hashed")
            #expect(opener.device.hashedBytes <= Int(1.1 * Double(image.data.count)) * (pass + 1))
        }
        #expect(opener.flash == image.data)
    }

    /// Onto a chip full of old data the same holds: a 0xFF run is probed by one sector, found dirty, erased and then
    /// hashed once to verify the erase; a data segment is probed, written and verified.
    @Test func aFactoryImageOntoOldDataCostsAboutOneMD5Pass() throws {
        var generator = SystemRandomNumberGenerator()
        let old = (0..<(4 << 20)).map { _ in UInt8.random(in: 0...254, using: &generator) }
        let opener = ChipOpener(.esp32, contents: old)
        let image = FlashImage(address: 0, data: TestData.factoryImage(seed: 12), name: "factory.bin")
        let outcome = DeviceJob.run(opener.request, after: .noReset) { session throws(JobFailure) in try session.write([image]) }
        let result = try #require(try? outcome.result.get())
        #expect(result.regions.map(\.status) == [.verified] && opener.flash == image.data)
        #expect(Double(result.hashedBytes) <= 1.1 * Double(image.data.count), "\(result.hashedBytes) bytes hashed")
    }
}

/// A chip still busy with an erase longer than its timeout is waited for, not reset: served over RFC 2217 with the
/// auto-reset circuit (a reset would show as a boot), an erase of 1 MB takes 3.5 s (typical timing: 32 sector and 14 block erases) and times out
/// after 2.5 s; the recovery's plain SYNCs (for as long again) are answered once the erase is done, and the chip is
/// never reset. (With 2 s the patience ended 0.5 s after the erase, and a loaded machine once answered later.)
@Suite("Patience with a busy chip")
struct BusyChipTests {
    final class Served: @unchecked Sendable {
        let server: EmulatorServer
        let board: EmulatedBoard
        var stop = false
        init() throws {
            let device = EmulatedDevice(profile: .profile(for: .esp32)!, timing: .typical)
            board = EmulatedBoard(device: device, wiring: .autoReset(enTimeConstant: 0.01))
            server = EmulatorServer(session: EmulatorSession(device: device, board: board))
            try server.open(.rfc2217(host: "127.0.0.1", port: 0))
            Thread { [self] in server.run { self.stop } }.start()
        }
    }

    @Test func aLongEraseIsWaitedForNotReset() throws {
        let served = try Served()
        defer { served.stop = true }
        let port = try #require(UInt16(served.server.connectString.split(separator: ":").last ?? ""))
        let transport = try RFC2217Transport(host: "127.0.0.1", port: port)
        defer { transport.close() }
        var timeouts = CommandTimeouts()
        timeouts.standard = 0.5
        timeouts.erasePerMB = 2.5
        let connection = LoaderConnection(transport: transport, timeouts: timeouts)
        let loader = try Bootloader.connect(connection, options: ConnectOptions(before: .defaultReset))
        try loader.attachFlash()
        try loader.setFlashSize(4 << 20)
        let bootsBefore = served.board.boots.count
        let retries = RetryCount()
        let flasher = Flasher(loader: loader) { if case .retry = $0 { retries.count += 1 } }
        #expect(try flasher.erase(address: 0x100000, size: 1 << 20))
        // The erase's first wait times out (0.5 s) and is retried by waiting, not by resetting. On a machine loaded
        // with other work the re-sync after it can time out once more; a reset never comes either way.
        #expect((1...2).contains(retries.count), "retries: \(retries.count)")
        #expect(served.board.boots.count == bootsBefore && served.board.state == .downloadMode)
        #expect(!loader.lastReconnectReset)
    }
}

final class RetryCount: @unchecked Sendable { var count = 0 }
