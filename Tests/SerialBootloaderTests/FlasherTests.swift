import ImageFormats
import Testing
import ChipEmulator
@testable import SerialBootloader

@Suite("Flasher against the emulated ROM")
struct FlasherTests {
    static let files: [(Int, Int)] = [(0x1000, 20_000), (0x8000, 3_072), (0x10000, 180_000)]

    static func images(seed: UInt64) -> [FlashImage] {
        files.enumerated().map { i, f in FlashImage(address: f.0, data: TestData.firmware(f.1, seed: seed &+ UInt64(i)), name: "file\(i).bin") }
    }

    /// The flash a blank chip should hold after `regions` are written.
    static func expectedFlash(_ regions: [PlannedRegion], size: Int, base: [UInt8]? = nil) -> [UInt8] {
        var flash = base ?? [UInt8](repeating: 0xFF, count: size)
        for r in regions { flash.replaceSubrange(r.address..<r.end, with: r.data) }
        return flash
    }

    @Test("writes several files and a 4 MB image, reads back, skips the second time", arguments: RomProfile.emulatedChips)
    func writeReadSkip(chip: Chip) throws {
        let emulated = try EmulatedChip(chip)
        var events: [JobEvent] = []
        let flasher = Flasher(loader: emulated.loader) { events.append($0) }
        let regions = try PlannedRegion.plan(Self.images(seed: 7), flashSize: 4 << 20)
        let report = try flasher.write(regions)
        #expect(report.regions.allSatisfy { $0.status == .verified })
        #expect(emulated.flash == Self.expectedFlash(regions, size: 4 << 20))
        #expect(report.bytesSent < regions.reduce(0) { $0 + $1.size })  // compressed

        // Second run: only MD5 checks cross the wire.
        let before = emulated.bytesIn
        let again = try flasher.write(regions)
        #expect(again.regions.allSatisfy { $0.status == .skipped })
        #expect(emulated.bytesIn - before < 400)

        // A 4 MB factory image over it: blank runs are not sent.
        let image = TestData.factoryImage(seed: 11)
        let big = try PlannedRegion.plan([FlashImage(address: 0, data: image, name: "factory.bin")], flashSize: 4 << 20)
        #expect(big[0].segments.contains { $0.blank })
        let bigReport = try flasher.write(big)
        #expect(bigReport.regions[0].status == .verified)
        #expect(emulated.flash == image)
        #expect(bigReport.regions[0].dataBytes < 1_000_000)

        let readBack = try flasher.read(address: 0x10000, size: 0x30000)
        #expect(readBack == Array(image[0x10000..<0x40000]))
    }

    @Test("unaligned start: the sector's leading bytes become 0xFF, as esptool does in ROM mode")
    func unalignedStart() throws {
        let emulated = try EmulatedChip(.esp32c3, contents: [UInt8](repeating: 0x00, count: 0x20000))
        let data = TestData.firmware(5000, seed: 3)
        let regions = try PlannedRegion.plan([FlashImage(address: 0x9100, data: data, name: "x.bin")], flashSize: 4 << 20)
        #expect(regions[0].address == 0x9000)
        _ = try Flasher(loader: emulated.loader).write(regions)
        #expect(Array(emulated.flash[0x9100..<(0x9100 + 5000)]) == data)
        #expect(emulated.flash[0x9000..<0x9100].allSatisfy { $0 == 0xFF })
        #expect(emulated.flash[0x8FFF] == 0)
    }

    @Test("uncompressed writes and --no-skip work too")
    func uncompressedNoSkip() throws {
        let emulated = try EmulatedChip(.esp32)
        var options = FlashOptions()
        options.compress = false
        options.skipUnchanged = false
        let flasher = Flasher(loader: emulated.loader, options: options)
        let regions = try PlannedRegion.plan(Self.images(seed: 9), flashSize: 4 << 20)
        _ = try flasher.write(regions)
        let before = emulated.bytesIn
        let again = try flasher.write(regions)
        #expect(again.regions.allSatisfy { $0.status == .verified })
        #expect(emulated.bytesIn - before > 200_000)  // written again, uncompressed
        #expect(emulated.flash == Self.expectedFlash(regions, size: 4 << 20))
    }

    @Test("refuses files that share a sector or do not fit")
    func planErrors() {
        #expect(throws: FlashPlanError.self) {
            try PlannedRegion.plan([FlashImage(address: 0, data: [1, 2], name: "a"), FlashImage(address: 0x800, data: [3], name: "b")], flashSize: nil)
        }
        #expect(throws: FlashPlanError.self) {
            try PlannedRegion.plan([FlashImage(address: 0x3FF000, data: [UInt8](repeating: 0, count: 0x2000), name: "a")], flashSize: 4 << 20)
        }
    }

    @Test("erase-region and erase-flash leave 0xFF; verify tells matching from differing")
    func eraseAndVerify() throws {
        let emulated = try EmulatedChip(.esp32s3, contents: [UInt8](repeating: 0x5A, count: 4 << 20))
        let flasher = Flasher(loader: emulated.loader)
        try flasher.erase(address: 0x20000, size: 0x3000)
        #expect(emulated.flash[0x20000..<0x23000].allSatisfy { $0 == 0xFF })
        #expect(emulated.flash[0x1FFFF] == 0x5A && emulated.flash[0x23000] == 0x5A)
        let results = try flasher.verify([FlashImage(address: 0x20000, data: [UInt8](repeating: 0xFF, count: 0x3000), name: "a"),
                                          FlashImage(address: 0x30000, data: [1, 2, 3], name: "b")])
        #expect(results.map(\.matches) == [true, false])
        try flasher.erase(address: 0, size: 4 << 20)
        #expect(emulated.flash.allSatisfy { $0 == 0xFF })
    }

    @Test("a region changed behind the tool's back is rewritten, not skipped")
    func tamperedRegionIsRewritten() throws {
        let emulated = try EmulatedChip(.esp32)
        let flasher = Flasher(loader: emulated.loader)
        let regions = try PlannedRegion.plan(Self.images(seed: 5), flashSize: 4 << 20)
        _ = try flasher.write(regions)
        emulated.device.tamper(with: [0, 0, 0], at: 0x10000 + 100_000)
        let report = try flasher.write(regions)
        #expect(report.regions.map(\.status) == [.skipped, .skipped, .verified])
        #expect(emulated.flash == Self.expectedFlash(regions, size: 4 << 20))
    }

    /// 200 seeded runs with corrupted and dropped frames (a quarter with disconnects too): a run that reports
    /// success has exactly the right flash; at least 95% succeed; a failure says what state each region is in.
    @Test("fault injection: never a wrong flash reported as good")
    func faultInjection() throws {
        var succeeded = 0, failed = 0, recoveries = 0
        let chips = RomProfile.emulatedChips
        for run in 0..<200 {
            var plan = FaultPlan()
            plan.seed = UInt64(run) &* 7919 &+ 1
            plan.corruptReceive = 0.01
            plan.dropReply = 0.01
            if run % 4 == 3 { plan.disconnectAfterFrames = 60 + run % 50 }
            let images = [FlashImage(address: 0x1000, data: TestData.firmware(9_000, seed: UInt64(run)), name: "boot.bin"),
                          FlashImage(address: 0x8000, data: TestData.firmware(3_000, seed: UInt64(run) + 1000), name: "part.bin"),
                          FlashImage(address: 0x10000, data: TestData.firmware(60_000, seed: UInt64(run) + 2000), name: "app.bin")]
            let regions = try PlannedRegion.plan(images, flashSize: 4 << 20)
            let expected = Self.expectedFlash(regions, size: 1 << 20)
            let emulated: EmulatedChip
            do { emulated = try EmulatedChip(chips[run % chips.count], flashSize: 1 << 20, faults: plan) } catch {
                failed += 1
                continue
            }
            do {
                let warned = WarningLog()
                let report = try Flasher(loader: emulated.loader, onEvent: warned.take).write(regions)
                recoveries += report.retries
                #expect(report.regions.allSatisfy { $0.status == .verified }, "run \(run)")
                for r in regions {
                    #expect(Array(emulated.flash[r.address..<r.end]) == r.data, "run \(run) reported success with wrong flash")
                }
                // Outside the files, flash may differ only where a garbled FLASH_BEGIN (no checksum) wrote, and then
                // the user was warned.
                if emulated.flash != expected { #expect(warned.count > 0, "run \(run): flash changed outside the files without a warning") }
                succeeded += 1
            } catch {
                failed += 1
                #expect(error.report.regions.count == 3)
                #expect(error.report.regions.contains { $0.status == .failed })
                // Whatever it claims verified must really be there.
                for r in error.report.regions where r.isGood {
                    #expect(Array(emulated.flash[r.address..<(r.address + r.size)]) == regions[r.index].data, "run \(run)")
                }
            }
        }
        print("fault injection: \(succeeded) verified, \(failed) failed, \(recoveries) recoveries")
        #expect(succeeded >= 190, "only \(succeeded) of 200 runs ended verified (\(failed) failed)")
        #expect(recoveries > 50)  // the faults really happened
    }
}

/// Counts warning notes a flasher emits.
final class WarningLog {
    private(set) var count = 0
    func take(_ event: JobEvent) { if case .note(_, true) = event { count += 1 } }
}
