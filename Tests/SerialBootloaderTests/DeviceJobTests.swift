import ChipEmulator
import ImageFormats
import Glibc
import Synchronization
import Testing
@testable import SerialBootloader

@Suite("Device jobs, without the CLI")
struct DeviceJobTests {
    static func images(_ chip: Chip, seed: UInt64) -> [FlashImage] {
        [FlashImage(address: chip.bootloaderOffset, data: TestData.firmware(9_000, seed: seed), name: "boot.bin"),
         FlashImage(address: 0x8000, data: TestData.firmware(3_072, seed: seed + 1), name: "part.bin"),
         FlashImage(address: 0x10000, data: TestData.firmware(80_000, seed: seed + 2), name: "app.bin")]
    }

    static func expected(_ images: [FlashImage], base: [UInt8] = [UInt8](repeating: 0xFF, count: 4 << 20)) -> [UInt8] {
        images.reduce(base) { $0.replacing(at: $1.address, with: $1.data) }
    }

    @Test("connect, write, verify, read, erase and finish on one session", arguments: RomProfile.emulatedChips)
    func jobsOnOneSession(chip: Chip) throws {
        let opener = ChipOpener(chip)
        let log = EventLog()
        let session = try DeviceSession.connect(opener.request, context: log.context)
        defer { session.close() }
        #expect(session.info.chip == chip)
        #expect(session.info.mac == opener.device.mac)
        #expect(session.info.flashSize.name == "4MB" && session.info.detectedFlashSize?.name == "4MB")
        let images = Self.images(chip, seed: 3)
        let written = try session.write(images)
        #expect(written.regions.map(\.status) == [.verified, .verified, .verified])
        #expect(written.regions.map(\.address) == images.map(\.address))
        #expect(written.regions.map(\.md5) == images.map { md5Hex($0.data) })
        #expect(opener.flash == Self.expected(images))
        // Each segment is checked as it is written; the verify stage hashes again only if one had to be rewritten.
        #expect(log.stages == [.open, .connect, .check, .write, .verify])

        #expect(try session.verify(images).regions.allSatisfy { $0.status == .verified })
        let read = try session.read(address: 0x10000, length: .bytes(80_000))
        #expect(read.data == images[2].data && read.md5 == md5Hex(images[2].data))
        let erased = try session.erase(.region(address: 0x10000, size: 0x14000))
        #expect(erased.size == 0x14000)
        #expect(opener.flash[0x10000..<0x24000].allSatisfy { $0 == 0xFF })
        try session.finish(.noReset)
        #expect(log.retries.isEmpty && session.retries == 0)
    }

    @Test("a second write sends only MD5 checks; erase-all then writes everything again")
    func skipAndEraseAll() throws {
        let opener = ChipOpener(.esp32)
        let images = Self.images(.esp32, seed: 5)
        _ = DeviceJob.run(opener.request) { session throws(JobFailure) in try session.write(images) }
        let again = DeviceJob.run(opener.request) { session throws(JobFailure) in try session.write(images) }
        #expect(try again.result.get().regions.allSatisfy { $0.status == .skipped })
        var options = WriteOptions()
        options.eraseAll = true
        let log = EventLog()
        let erased = DeviceJob.run(opener.request, context: log.context) { session throws(JobFailure) in try session.write(images, options: options) }
        #expect(try erased.result.get().regions.allSatisfy { $0.status == .verified })
        #expect(log.stages.contains(.erase))
        #expect(opener.flash == Self.expected(images))
    }

    @Test("retries equal the retry events, in total and per region, under faults")
    func retriesMatchEvents() throws {
        var recovered = 0
        for seed in UInt64(1)...12 {
            var faults = FaultPlan()
            faults.corruptReceive = 0.01
            faults.dropReply = 0.01
            faults.seed = seed
            let opener = ChipOpener(.esp32c3, faults: faults)
            let log = EventLog()
            let outcome = DeviceJob.run(opener.request, after: .noReset, context: log.context) { session throws(JobFailure) in
                try session.write(Self.images(.esp32c3, seed: seed))
            }
            #expect(outcome.retries == log.retries.count, "seed \(seed)")
            let regions = (try? outcome.result.get().regions) ?? outcome.failure?.regions ?? []
            for region in regions {
                #expect(region.retries == log.retries.filter { $0.index == region.index }.count, "seed \(seed) region \(region.index)")
            }
            recovered += outcome.retries
        }
        #expect(recovered > 5)  // the faults really happened
    }

    @Test("a dropped link: the port is opened again through the opener, after it refused twice, and the write resumes")
    func reopenAfterDisconnect() throws {
        let images = Self.images(.esp32, seed: 8)
        // The line drops in the middle of app.bin's frames (counted in a clean run).
        let clean = ChipOpener(.esp32)
        let marks = FrameMarks()
        _ = DeviceJob.run(clean.request, context: JobContext { event in
            if case .regionStarted(let info) = event, info.index == 2 { marks.start = clean.requests.values.reduce(0, +) }
        }) { session throws(JobFailure) in try session.write(images) }
        var faults = FaultPlan()
        faults.disconnectAfterFrames = (marks.start + clean.requests.values.reduce(0, +)) / 2
        let opener = ChipOpener(.esp32, faults: faults, failedReopens: 2)
        let log = EventLog()
        let outcome = DeviceJob.run(opener.request, context: log.context) { session throws(JobFailure) in try session.write(images) }
        #expect(try outcome.result.get().regions.allSatisfy { $0.status == .verified })
        #expect(log.reopenedPorts >= 1)
        #expect(opener.flash == Self.expected(images))
    }

    @Test("eight chips flashed at once from one process: all eight run at the same time, each verified")
    func eightInParallel() async throws {
        let chips = (0..<8).map { RomProfile.emulatedChips[$0 % RomProfile.emulatedChips.count] }
        // Typical flash timing and a 5 ms reply latency: as on eight real ports, most of a job is waiting, which
        // parallel jobs overlap. (Compression and the emulated ROM's work are CPU, shared by the machine's cores.)
        var latency = FaultPlan()
        latency.delayReplyMilliseconds = 5
        let openers = chips.map { ChipOpener($0, timing: .typical, faults: latency) }
        let images = chips.indices.map { i in
            [FlashImage(address: chips[i].bootloaderOffset, data: TestData.firmware(6_000, seed: 100 + UInt64(i)), name: "boot.bin"),
             FlashImage(address: 0x10000, data: TestData.firmware(20_000, seed: 200 + UInt64(i)), name: "app.bin")]
        }
        let cancellation = CancellationFlag()
        let started = Clock.now()
        let results = await withTaskGroup(of: (Int, JobOutcome<WriteResult>, ClosedRange<Double>).self) { group in
            for i in chips.indices {
                let request = openers[i].request, files = images[i]
                group.addTask {
                    await DeviceJob.detached(cancellation: cancellation) {
                        let start = Clock.now()
                        let outcome = DeviceJob.run(request) { session throws(JobFailure) in try session.write(files) }
                        return (i, outcome, start...Clock.now())
                    }
                }
            }
            var all: [(Int, JobOutcome<WriteResult>, ClosedRange<Double>)] = []
            for await result in group { all.append(result) }
            return all
        }
        let wall = Clock.now() - started
        #expect(results.count == 8)
        for (i, outcome, _) in results {
            #expect(try outcome.result.get().regions.allSatisfy { $0.status == .verified }, "port \(i)")
            #expect(outcome.device?.chip == chips[i])
            #expect(openers[i].flash == Self.expected(images[i]), "port \(i)")
        }
        // Every job was running when the last one started: nothing serialised them.
        let lastStart = results.map(\.2.lowerBound).max()!
        #expect(results.allSatisfy { $0.2.contains(lastStart) })
        let added = results.reduce(0) { $0 + $1.2.upperBound - $1.2.lowerBound }
        print("8 parallel jobs: \(Int(wall * 1000)) ms wall, \(Int(added * 1000)) ms added up")
    }

    @Test("the chip guard: another chip's app, a wrong bootloader inside a merged image, a revision too low; --force")
    func chipGuard() throws {
        let s2App = try AppImage.make(AppImage.Options(chip: .esp32s2))
        var tooNew = AppImage.Options(chip: .esp32)
        tooNew.minimumRevision = ChipRevision(major: 3, minor: 1)  // the emulated ESP32 is v3.0
        let c3Boot = try AppImage.make(AppImage.Options(chip: .esp32c3))
        let merged = [UInt8](repeating: 0xFF, count: 0x30000).replacing(at: 0x1000, with: c3Boot)
        let cases: [(String, [FlashImage], String)] = [
            ("wrong chip", [FlashImage(address: 0x10000, data: s2App, name: "s2.bin")], "ESP32-S2 image"),
            ("merged, wrong bootloader", [FlashImage(address: 0, data: merged, name: "factory.bin")], "factory.bin (bootloader at 0x1000)"),
            ("revision too low", [FlashImage(address: 0x10000, data: try AppImage.make(tooNew), name: "new.bin")], "revision in range v3.1"),
        ]
        for (label, images, text) in cases {
            let opener = ChipOpener(.esp32)
            let outcome = DeviceJob.run(opener.request) { session throws(JobFailure) in try session.write(images) }
            let failure = try #require(outcome.failure, "\(label)")
            #expect(failure.stage == .check && failure.reason == .incompatibleImage, "\(label)")
            #expect(failure.message.contains(text), "\(label): \(failure.message)")
            #expect(failure.regions.map(\.status) == [.pending])
            #expect(opener.flash.allSatisfy { $0 == 0xFF }, "\(label): nothing may be written")
            #expect(opener.requests["FLASH_BEGIN", default: 0] + opener.requests["FLASH_DEFL_BEGIN", default: 0] == 0, "\(label)")

            var force = WriteOptions()
            force.force = true
            let log = EventLog()
            let forced = DeviceJob.run(opener.request, context: log.context) { session throws(JobFailure) in try session.write(images, options: force) }
            #expect(try forced.result.get().regions.allSatisfy { $0.status == .verified }, "\(label)")
            #expect(log.warnings.contains { $0.contains("--force") }, "\(label)")
            #expect(opener.flash == Self.expected(images), "\(label)")
        }
    }

    @Test("cancelled mid-write by the flag, or by cancelling the task: a cancelled failure with every region's state")
    func cancellation() async throws {
        let opener = ChipOpener(.esp32c3)
        let flag = CancellationFlag()
        let log = EventLog()
        let context = log.context(cancellation: flag) { event in
            if case .progress(2, let done, _) = event, done > 20_000 { flag.cancel() }
        }
        let outcome = DeviceJob.run(opener.request, context: context) { session throws(JobFailure) in
            try session.write(Self.images(.esp32c3, seed: 4))
        }
        let failure = try #require(outcome.failure)
        #expect(failure.reason == .cancelled && failure.stage == .write)
        #expect(failure.regions.map(\.status) == [.verified, .verified, .failed])

        // A task cancelled while its job runs on its own thread: the job stops at its next command.
        var latency = FaultPlan()
        latency.delayReplyMilliseconds = 20  // seconds for the job: the cancel comes long before its end
        let slow = ChipOpener(.esp32, faults: latency)
        let taskFlag = CancellationFlag()
        let writing = Atomic<Bool>(false)
        let request = slow.request
        let task = Task {
            await DeviceJob.detached(cancellation: taskFlag) {
                let context = JobContext(cancellation: taskFlag) { event in
                    guard case .stageStarted(.write) = event else { return }
                    writing.store(true, ordering: .relaxed)
                    // Hold the job here until the task's cancel reaches the flag, so that a loaded machine
                    // cannot finish the write before the test gets to cancel it.
                    let giveUp = ContinuousClock.now + .seconds(120)
                    while !taskFlag.isCancelled, ContinuousClock.now < giveUp { usleep(1_000) }
                }
                return DeviceJob.run(request, context: context) { session throws(JobFailure) in
                    try session.write([FlashImage(address: 0, data: TestData.firmware(400_000, seed: 1), name: "big.bin")])
                }
            }
        }
        while !writing.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        let cancelled = await task.value
        #expect(cancelled.failure?.reason == .cancelled)
        #expect(cancelled.failure?.regions.first?.status == .failed)
    }

    @Test("every stage fails with its own stage and reason")
    func failureStages() throws {
        struct NoPort: PortOpener {
            func open(_ address: PortAddress, baudRate: Int) throws(TransportError) -> any Transport {
                throw TransportError(.open, "cannot open \(address.description): No such file or directory")
            }
        }
        let images = Self.images(.esp32, seed: 2)
        func failure(_ opener: ChipOpener, _ options: WriteOptions = WriteOptions(), images: [FlashImage] = images) -> JobFailure? {
            var request = opener.request
            request.connectAttempts = 2
            return DeviceJob.run(request) { session throws(JobFailure) in try session.write(images, options: options) }.failure
        }
        var request = ChipOpener(.esp32).request
        request.opener = NoPort()
        let open = DeviceJob.run(request) { _ throws(JobFailure) in () }.failure
        #expect(open?.stage == .open && open?.reason == .portUnavailable)

        var silent = FaultPlan()
        silent.silentAfterFrames = 0
        let connect = failure(ChipOpener(.esp32, faults: silent))
        #expect(connect?.stage == .connect && connect?.reason == .noResponse)

        let check = failure(ChipOpener(.esp32, flashSize: 1 << 20), images: [FlashImage(address: 0xF0000, data: [UInt8](repeating: 1, count: 0x20000), name: "big.bin")])
        #expect(check?.stage == .check && check?.reason == .invalidInput)

        // Where app.bin's frames are in a clean run: the chip dies in the middle of them.
        let clean = ChipOpener(.esp32)
        let marks = FrameMarks()
        var cleanRequest = clean.request
        cleanRequest.connectAttempts = 2
        _ = DeviceJob.run(cleanRequest, context: JobContext { event in
            if case .regionStarted(let info) = event, info.index == 2 { marks.start = clean.requests.values.reduce(0, +) }
        }) { session throws(JobFailure) in try session.write(images) }
        let total = clean.requests.values.reduce(0, +)
        silent.silentAfterFrames = (marks.start + total) / 2
        let write = failure(ChipOpener(.esp32, faults: silent))
        #expect(write?.stage == .write && write?.reason == .noResponse)
        #expect(write?.regions.map(\.status) == [.verified, .verified, .failed])

        var worn = FaultPlan()
        worn.badSectors = [0x12000]
        let verify = failure(ChipOpener(.esp32, faults: worn))
        #expect(verify?.stage == .verify && verify?.reason == .verificationFailed)
        #expect(verify?.regions.map(\.status) == [.verified, .verified, .failed])
    }
}


/// A frame count noted from a job's event closure.
final class FrameMarks: @unchecked Sendable {
    var start = 0
}
