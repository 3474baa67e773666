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
