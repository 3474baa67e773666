import ImageFormats
import ChipEmulator
import SerialBootloader

/// A connected emulated chip for library tests: device, session, transport and a synced `Bootloader`.
struct EmulatedChip {
    let device: EmulatedDevice
    let session: EmulatorSession
    let transport: InProcessTransport
    let loader: Bootloader

    init(_ chip: Chip, flashSize: Int = 4 << 20, contents: [UInt8]? = nil, faults: FaultPlan = FaultPlan(),
         setFlashSize: Bool = true) throws {
        device = EmulatedDevice(profile: .profile(for: chip)!, flashSize: flashSize, flashContents: contents)
        session = EmulatorSession(device: device, faults: faults)
        transport = InProcessTransport(session: session, portName: "virtual://\(chip.rawValue)")
        // A dropped line is connected again to the same chip, as EmulatorPortOpener.reopen does.
        let connection = LoaderConnection(transport: transport) { failed in
            (failed as! InProcessTransport).reconnect()
            return failed
        }
        var lastError: Error?
        var connected: Bootloader?
        // Under heavy fault plans the first connect can fail like on a real line; try like --connect-attempts.
        for _ in 0..<3 where connected == nil {
            do {
                let loader = try Bootloader.connect(connection, options: ConnectOptions(before: .noReset))
                try loader.attachFlash()
                if setFlashSize { try loader.setFlashSize(flashSize) }
                connected = loader
            } catch { lastError = error }
        }
        guard let connected else { throw lastError! }
        loader = connected
    }

    var flash: [UInt8] { device.flash.contents }
    var bytesIn: Int { session.statistics.bytesIn }
}

/// Test data: seeded, and compressible about like firmware (a skewed byte distribution with repeats).
enum TestData {
    static func firmware(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            let r = rng.next()
            if r % 4 == 0, out.count > 64 {
                // Repeat an earlier run, as code and strings do.
                let length = Int(r >> 8 % 24) + 4
                let from = Int((r >> 16) % UInt64(out.count - 32))
                for i in 0..<length where out.count < count { out.append(out[from + min(i, 31)]) }
            } else {
                out.append(UInt8(truncatingIfNeeded: (r >> 24) % 64 + (r % 3 == 0 ? 0x20 : 0)))
            }
        }
        return out
    }

    /// A 4 MB merged factory image: bootloader, partition table, app, NVS-ish data, 0xFF between.
    static func factoryImage(seed: UInt64, size: Int = 4 << 20) -> [UInt8] {
        var image = [UInt8](repeating: 0xFF, count: size)
        let parts: [(Int, Int)] = [(0x1000, 20_000), (0x8000, 3_072), (0x9000, 0x600), (0x10000, 700_000), (0x300000, 5_000)]
        for (i, (offset, length)) in parts.enumerated() {
            image.replaceSubrange(offset..<(offset + length), with: firmware(length, seed: seed &+ UInt64(i)))
        }
        return image
    }
}
