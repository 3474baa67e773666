import Foundation
import TestSupport
import Testing

/// The emulated chip's TCP server under hostile clients: it never crashes or hangs, its memory stays bounded, and
/// esptool flashes and verifies through it afterwards.
@Suite("emulator under hostile clients")
struct HostileClientTests {
    /// A raw TCP client of the emulator.
    final class Client {
        let fd: Int32

        init?(port: UInt16) {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
            let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard ok == 0 else { close(fd); return nil }
        }

        deinit { close(fd) }

        @discardableResult
        func send(_ bytes: [UInt8]) -> Bool {
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return false }
                done += n
            }
            return true
        }

        /// What arrives within `seconds` (stops early once `until` says the bytes are enough).
        func receive(seconds: Double, until: ([UInt8]) -> Bool = { _ in false }) -> [UInt8] {
            var out: [UInt8] = []
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while Date() < deadline, !until(out) {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, 50) > 0 else { continue }
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                out += buffer[0..<n]
            }
            return out
        }

        /// Sends a SYNC and waits for the first reply frame to it.
        func syncs(seconds: Double = 10) -> Bool {
            guard send(HostileClientTests.frame(0x08, [0x07, 0x07, 0x12, 0x20] + [UInt8](repeating: 0x55, count: 32))) else { return false }
            return HostileClientTests.hasReply(receive(seconds: seconds) { HostileClientTests.hasReply($0, opcode: 0x08) }, opcode: 0x08)
        }
    }

    /// A SLIP-framed request: direction 0, opcode, the length field as given (the real length by default).
    static func frame(_ opcode: UInt8, _ data: [UInt8], length: Int? = nil, checksum: UInt32 = 0) -> [UInt8] {
        let size = UInt16(truncatingIfNeeded: length ?? data.count)
        let packet = [0, opcode, UInt8(size & 0xFF), UInt8(size >> 8)] + words([checksum]) + data
        var out: [UInt8] = [0xC0]
        for b in packet {
            switch b {
            case 0xC0: out += [0xDB, 0xDC]
            case 0xDB: out += [0xDB, 0xDD]
            default: out.append(b)
            }
        }
        return out + [0xC0]
    }

    static func words(_ values: [UInt32]) -> [UInt8] { values.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } } }

    /// The complete reply frames (direction 1) in `bytes`, unescaped.
    static func replies(_ bytes: [UInt8]) -> [[UInt8]] {
        let pieces = bytes.split(separator: 0xC0, omittingEmptySubsequences: true).dropLast(bytes.last == 0xC0 ? 0 : 1)
        return pieces.map { piece in
            var out: [UInt8] = []
            var escaping = false
            for b in piece {
                if escaping { out.append(b == 0xDC ? 0xC0 : b == 0xDD ? 0xDB : b); escaping = false } else if b == 0xDB { escaping = true } else { out.append(b) }
            }
            return out
        }.filter { $0.count >= 8 && $0[0] == 0x01 }
    }

    /// Whether `bytes` hold a whole reply frame to `opcode`.
    static func hasReply(_ bytes: [UInt8], opcode: UInt8) -> Bool { replies(bytes).contains { $0[1] == opcode || $0[1] == 0 } }

    /// The status of the first reply to `opcode`, or to an unknown command (opcode 0): a ROM's replies end in 4
    /// status bytes (failed, error code, 2 reserved).
    static func status(_ bytes: [UInt8], opcode: UInt8) -> (failed: Bool, code: UInt8)? {
        guard let frame = replies(bytes).first(where: { $0[1] == opcode || $0[1] == 0 }), frame.count >= 12 else { return nil }
        return (frame[frame.count - 4] != 0, frame[frame.count - 3])
    }

    /// Resident and peak resident memory of a process, in KB.
    static func memory(_ pid: Int32) -> (rss: Int, peak: Int) {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            text.split(separator: "\n").first { $0.hasPrefix(name + ":") }.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) } ?? -1
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    @Test("oversize frames, wrong lengths, huge FLASH_BEGIN, reads past the end, garbage, half frames, 100 clients: served, bounded, esptool still flashes")
    func hostileClients() async throws {
        let esptool = try #require(ToolEnvironment.esptool, "esptool missing: run scripts/python-env.sh")
        let checks = Checks()
        await onOwnThread {
            do { try Self.attack(esptool: esptool, checks) } catch { checks.expect(false, "\(error)") }
        }
        checks.expect(checks.count > 20)
        for failure in checks.failures { Issue.record(Comment(rawValue: failure)) }
    }

    /// The attacks, then esptool; blocking throughout, so it runs on a thread of its own.
    static func attack(esptool: String, _ checks: Checks) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (emulator, address) = try BackgroundProcess.emulator(chip: "esp32c3", flashFile: dir + "/flash.bin", extra: ["--flash-size", "4MB"])
        let port = try checks.require(UInt16(address.split(separator: ":").last ?? ""), "port of \(address)")
        let pid = emulator.process.processIdentifier
        let before = memory(pid)
        var figures: [String] = ["start: RSS \(before.rss) KB"]
        func check(_ name: String) {
            let m = memory(pid)
            figures.append("\(name): RSS \(m.rss) KB, peak \(m.peak) KB")
            checks.expect(emulator.process.isRunning, "emulator died after: \(name)")
        }

        // One frame of 64 MB that never ends before the SYNC: dropped as it arrives, the SYNC after it is answered.
        do {
            let client = try checks.require(Client(port: port), "connect")
            client.send([0xC0])
            let chunk = [UInt8](repeating: 0x41, count: 1 << 20)
            for _ in 0..<64 { checks.expect(client.send(chunk)) }
            client.send([0xC0])
            checks.expect(client.syncs(), "no SYNC reply after an oversize frame")
        }
        check("64 MB frame")

        // Length fields that lie (too long, too short, zero), an unknown opcode, a reply-direction frame.
        do {
            let client = try checks.require(Client(port: port), "connect")
            client.send(frame(0x0A, words([0x40001000]), length: 1000))
            client.send(frame(0x0A, words([0x40001000, 0, 0, 0]), length: 2))
            client.send(frame(0x02, [], length: 0))
            client.send(frame(0x7E, [1, 2, 3]))
            client.send([0xC0, 0x01, 0x08, 0x00, 0x00, 0xC0])
            checks.expect(client.syncs(), "no SYNC reply after lying length fields")
        }
        check("wrong length fields")

        // FLASH_BEGIN of 0xFFFFFFFF bytes (and at 0xFFFFF000), SPI_FLASH_MD5 and READ_FLASH_SLOW past the end,
        // the stub-only READ_FLASH: each refused with an error, nothing erased.
        do {
            let client = try checks.require(Client(port: port), "connect")
            for (opcode, data) in [(UInt8(0x02), words([0xFFFF_FFFF, 0x40_0000, 0x400, 0, 0])),
                                   (0x02, words([0x1000, 4, 0x400, 0xFFFF_F000, 0])),
                                   (0x13, words([0, 0xFFFF_FFFF, 0, 0])),
                                   (0x13, words([0x3F_F000, 0x2000, 0, 0])),
                                   (0x0E, words([0xFFFF_FFC0, 64])),
                                   (0xD2, words([0, 0x100_0000, 0x1000, 64]))] {
                client.send(frame(opcode, data))
                let reply = client.receive(seconds: 10) { hasReply($0, opcode: opcode) }
                let status = status(reply, opcode: opcode)
                checks.expect(status?.failed == true, "opcode 0x\(String(opcode, radix: 16)) \(data): \(replies(reply))")
            }
        }
        check("huge FLASH_BEGIN, reads past the end")

        // Garbage: 4 MB of random bytes, C0 among them.
        do {
            let client = try checks.require(Client(port: port), "connect")
            var rng = SplitMix64(seed: 16)
            for _ in 0..<4 { client.send(rng.bytes(1 << 20)) }
            client.send([0xC0])
            checks.expect(client.syncs(), "no SYNC reply after garbage")
        }
        check("garbage")

        // Half a frame, then silence until the client gives up; the next client is served.
        do {
            let client = try checks.require(Client(port: port), "connect")
            client.send(Array(frame(0x08, [0x07, 0x07, 0x12, 0x20] + [UInt8](repeating: 0x55, count: 32)).prefix(20)))
            usleep(500_000)
        }
        do {
            let client = try checks.require(Client(port: port), "connect")
            checks.expect(client.syncs(), "no SYNC reply after a half frame and silence")
        }
        check("half frame, then silence")

        // 100 clients at once, each a SYNC: every one is answered in turn.
        let answered = HostileTally()
        let started = Date()
        let group = DispatchGroup()
        for _ in 0..<100 {
            group.enter()
            Thread {
                if let client = Client(port: port), client.syncs(seconds: 60) { answered.add() }
                group.leave()
            }.start()
        }
        group.wait()
        figures.append("100 parallel clients: \(answered.value) answered in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
        checks.expect(answered.value == 100)
        check("100 parallel clients")
        let after = memory(pid)
        checks.expect(after.peak - before.rss < 48 * 1024, "peak RSS grew by \(after.peak - before.rss) KB")

        // esptool still flashes and verifies through it.
        let file = dir + "/app.bin"
        let data = TestBytes.firmware(150_000, seed: 23)
        try writeFile(data, file)
        let common = ["-p", address, "--no-stub", "--before", "no-reset", "--after", "no-reset", "--connect-attempts", "3"]
        let write = try runTool(esptool, common + ["write-flash", "0x10000", file], mergingStderr: true)
        checks.expect(write.status == 0, "\(write.stdout)")
        let verify = try runTool(esptool, common + ["verify-flash", "0x10000", file], mergingStderr: true)
        checks.expect(verify.status == 0 && verify.stdout.contains("Verification successful"), "\(verify.stdout)")
        let log = emulator.stop()
        let flash = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/flash.bin")))
        checks.expect(Array(flash[0x10000..<(0x10000 + data.count)]) == data)
        checks.expect(log.contains("oversize frame"), "\(log.suffix(500))")
        print("hostile clients:\n" + figures.joined(separator: "\n"))
    }
}

/// Expectations collected off the test's task (a raw thread cannot record issues), reported after it.
final class Checks: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    private var failed: [String] = []

    struct Missing: Error, CustomStringConvertible { let description: String }

    func expect(_ condition: Bool, _ message: @autoclosure () -> String = "") {
        let text = condition ? nil : message()
        lock.withLock {
            total += 1
            if let text { failed.append(text.isEmpty ? "expectation failed" : text) }
        }
    }

    func require<T>(_ value: T?, _ what: String) throws -> T {
        expect(value != nil, "missing: \(what)")
        guard let value else { throw Missing(description: "missing: \(what)") }
        return value
    }

    var count: Int { lock.withLock { total } }
    var failures: [String] { lock.withLock { failed } }
}

/// A counter for concurrent clients.
final class HostileTally: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
