/// How long to wait for each kind of reply. Defaults are esptool 5.6.0's (`loader.py`, top of file;
/// shared/reference/esptool.md §3): 3 s floor, 0.1 s per SYNC, 240 s cap, 40 s/MB to erase or write, 8 s/MB for MD5,
/// where "MB" means 10^6 bytes.
public struct CommandTimeouts: Sendable, Equatable {
    public var standard = 3.0
    public var sync = 0.1
    public var maximum = 240.0
    public var erasePerMB = 40.0
    public var writePerMB = 40.0
    public var md5PerMB = 8.0
    /// MEM_END to the ROM: short, because the program may take over the UART before the reply is out
    /// (esptool `MEM_END_ROM_TIMEOUT`).
    public var memEnd = 0.2
    /// Pauses the protocol needs: between SYNC attempts, after a baud switch, before draining an unsupported reply.
    public var settle = 0.05

    public init() {}

    /// esptool's figures, for real ports and TCP.
    public static let standardTimeouts = CommandTimeouts()

    /// For the in-process emulated chip, whose replies exist as soon as the request is written: an empty read
    /// means the reply was lost, so nothing is waited for and a dropped reply costs microseconds.
    public static let immediate: CommandTimeouts = {
        var t = CommandTimeouts()
        t.standard = 0; t.sync = 0; t.maximum = 0; t.erasePerMB = 0; t.writePerMB = 0; t.md5PerMB = 0; t.settle = 0; t.memEnd = 0
        return t
    }()

    /// esptool `timeout_per_mb`: `seconds × bytes / 10^6`, at least the standard timeout, at most the cap.
    public func forWork(secondsPerMB: Double, bytes: Int) -> Double {
        min(maximum, max(standard, secondsPerMB * Double(bytes) / 1_000_000))
    }

    public func erase(bytes: Int) -> Double { forWork(secondsPerMB: erasePerMB, bytes: bytes) }
    public func write(inflatedBytes: Int) -> Double { forWork(secondsPerMB: writePerMB, bytes: inflatedBytes) }
    public func md5(bytes: Int) -> Double { forWork(secondsPerMB: md5PerMB, bytes: bytes) }
}
