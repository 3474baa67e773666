import ImageFormats
import ChipEmulator
import SerialBootloader
import Testing
import TestSupport

/// Each --fault kind observably happens, and a seed makes a run repeat exactly.
@Suite struct FaultTests {
    static func run(_ specs: [String], frames: Int = 200) -> (log: [String], sent: [[UInt8]], disconnects: Int) {
        var plan = FaultPlan()
        for spec in specs { #expect(plan.add(spec) == nil) }
        var log: [String] = []
        let device = EmulatedDevice(profile: .profile(for: .esp32c3)!)
        let session = EmulatorSession(device: device, faults: plan, log: { line in
            // Drop the time stamp so runs compare.
            log.append(String(line.drop { $0 != " " }))
        })
        session.beginConnection()
        var sent: [[UInt8]] = []
        var disconnects = 0
        let request = SLIP.encode(CommandPacket(.readReg, data: RawHost.words([0x4000_1000])).bytes)
        for _ in 0..<frames {
            if session.receive(request, send: { sent.append($0); return true }) == .disconnect {
                disconnects += 1
                session.beginConnection()
            }
        }
        return (log, sent, disconnects)
    }

    @Test func corruptReceiveFlipsBits() {
        let r = Self.run(["corrupt-rx=0.2", "seed=3"])
        let corrupted = r.log.filter { $0.contains("corrupt-rx") }.count
        #expect(corrupted > 10 && corrupted < 80)
        #expect(r.sent.count < 200 + 8 * corrupted)  // some corrupted frames are no request at all, or fail
    }

    @Test func dropReplySendsNothing() {
        let r = Self.run(["drop-reply=0.25", "seed=4"])
        let dropped = r.log.filter { $0.contains("drop-reply") }.count
        #expect(dropped > 20)
        #expect(r.sent.count == 200 - dropped)
    }

    @Test func truncateReplySendsPartOfAFrame() {
        let r = Self.run(["truncate-reply=0.3", "seed=5"])
        let full = SLIP.encode(ResponsePacket(opcode: Opcode.readReg.rawValue, value: 0x1B31_506F, data: [0, 0, 0, 0]).bytes)
        let short = r.sent.filter { $0.count < full.count }
        #expect(short.count > 20)
        #expect(short.allSatisfy { full.starts(with: $0) })
    }

    @Test func disconnectAfterClosesTheLine() {
        let r = Self.run(["disconnect-after=25"], frames: 100)
        #expect(r.disconnects == 4)
    }

    @Test func delayReplyWaits() {
        var plan = FaultPlan()
        #expect(plan.add("delay-reply=30") == nil)
        let session = EmulatorSession(device: EmulatedDevice(profile: .profile(for: .esp32)!), faults: plan)
        session.beginConnection()
        let start = ContinuousClock.now
        _ = session.receive(SLIP.encode(CommandPacket(.readReg, data: RawHost.words([0])).bytes)) { _ in true }
        #expect(ContinuousClock.now - start >= .milliseconds(30))
    }

    @Test func sameSeedSameRun() {
        let specs = ["corrupt-rx=0.1", "drop-reply=0.1", "truncate-reply=0.1", "seed=42"]
        let a = Self.run(specs), b = Self.run(specs)
        #expect(a.log == b.log && a.sent == b.sent)
        let c = Self.run(["corrupt-rx=0.1", "drop-reply=0.1", "truncate-reply=0.1", "seed=43"])
        #expect(a.log != c.log)
    }

    @Test func badSpecsAreRejected() {
        var plan = FaultPlan()
        #expect(plan.add("corrupt-rx=2") != nil)
        #expect(plan.add("explode=1") != nil)
        #expect(plan.add("disconnect-after=0") != nil)
    }
}

/// `reset-after=N`: the chip resets while it handles frame N; its flash keeps what was written, its reply is lost,
/// the ROM forgets the rest, and (on a board) the lines decide where it boots.
@Suite struct ChipResetFaultTests {
    static func plan(_ frames: Int) -> FaultPlan {
        var plan = FaultPlan()
        #expect(plan.add("reset-after=\(frames)") == nil)
        return plan
    }

    static func send(_ session: EmulatorSession, _ op: Opcode, _ data: [UInt8], checksum: UInt32 = 0) -> [UInt8] {
        var wire: [UInt8] = []
        _ = session.receive(SLIP.encode(CommandPacket(op, data: data, checksum: checksum).bytes)) { wire += $0; return true }
        return wire
    }

    static func replies(_ wire: [UInt8]) -> [ResponsePacket] {
        var decoder = SLIPDecoder()
        return decoder.packets(from: wire).compactMap(ResponsePacket.init(frame:))
    }

    @Test func withoutABoardTheChipComesBackInDownloadModeWithTheFlashWritten() {
        let device = EmulatedDevice(profile: .profile(for: .esp32c3)!)
        let session = EmulatorSession(device: device, faults: Self.plan(3))
        session.beginConnection()
        _ = Self.send(session, .spiSetParams, RawHost.words([0, 4 << 20, 0x10000, 4096, 256, 0xFFFF]))
        #expect(device.configuredFlashSize == 4 << 20)
        _ = Self.send(session, .flashBegin, RawHost.words([0x400, 1, 0x400, 0x1000, 0]))
        let block = [UInt8](repeating: 0x5A, count: 0x400)
        let wire = Self.send(session, .flashData, RawHost.words([0x400, 0, 0, 0]) + block, checksum: CommandPacket.checksum(of: block))
        #expect(Self.replies(wire).isEmpty, "the reset frame's reply is lost")
        #expect(String(decoding: wire, as: UTF8.self).contains("waiting for download"), "the ROM prints its boot log")
        #expect(Array(device.flash.contents[0x1000..<0x1400]) == block, "what the frame wrote stays")
        #expect(device.configuredFlashSize == 2 << 20, "the ROM forgot SPI_SET_PARAMS")
        // The write in progress is gone: more data is refused; a SYNC is answered (once only: no second reset).
        let more = Self.replies(Self.send(session, .flashData, RawHost.words([0x400, 1, 0, 0]) + block, checksum: CommandPacket.checksum(of: block)))
        #expect(more.first?.status().failed == true)
        #expect(Self.replies(Self.send(session, .sync, LoaderRequest.syncPayload)).count == 8)
    }

    @Test func onABoardTheLinesDecideDownloadModeOrAFlashBoot() {
        for io0Low in [false, true] {
            let device = EmulatedDevice(profile: .profile(for: .esp32)!, flashContents: BootableFlash(chip: .esp32).merged)
            let board = EmulatedBoard(device: device, wiring: .autoReset(enTimeConstant: 0.001), at: 0)
            // esptool's classic reset leaves the chip in download mode; then IO0 is held low (DTR on, RTS off) or released.
            board.setLines(dtr: false, rts: true, at: 0.01)
            board.setLines(dtr: true, rts: false, at: 0.02)
            board.advance(to: 0.1)
            #expect(board.state == .downloadMode)
            if !io0Low { board.setLines(dtr: false, rts: false, at: 0.11) }
            let session = EmulatorSession(device: device, board: board, faults: Self.plan(1))
            _ = board.takeOutput()
            let wire = Self.send(session, .sync, LoaderRequest.syncPayload)
            #expect(Self.replies(wire).isEmpty)
            #expect(board.state == (io0Low ? .downloadMode : .running), "IO0 \(io0Low ? "low" : "high")")
            #expect(board.boots.last?.reason == .watchdog)
            #expect(String(decoding: wire, as: UTF8.self).contains(io0Low ? "waiting for download" : "boot:"))
        }
    }

    @Test func aFrameLongerThanAnyRequestIsDroppedAndTheNextAnswered() {
        let device = EmulatedDevice(profile: .profile(for: .esp32c3)!)
        let session = EmulatorSession(device: device)
        session.beginConnection()
        var wire: [UInt8] = []
        _ = session.receive([0xC0] + [UInt8](repeating: 0x41, count: EmulatorSession.maximumFrameSize + 10) + [0xC0]) { wire += $0; return true }
        #expect(wire.isEmpty && session.statistics.oversizeFrames == 1)
        #expect(Self.replies(Self.send(session, .sync, LoaderRequest.syncPayload)).count == 8)
    }
}
