import SerialBootloader

/// A port whose other end is a script: chunks of bytes that arrive at given (virtual) times, whatever is written.
/// Reads advance a virtual clock instead of sleeping, so timeouts are exercised without waiting for real.
final class ScriptedTransport: Transport {
    let portName = "scripted"
    let canChangeBaudRate = false
    let hasControlLines = false
    let baudRate = 115_200
    private(set) var now = 0.0
    private var chunks: [(at: Double, bytes: [UInt8])] = []
    private(set) var written: [UInt8] = []
    /// Called after each write (a reactive script can schedule replies).
    var onWrite: (([UInt8]) -> Void)?

    /// Schedules `bytes` to arrive `delay` seconds after the previous chunk (or after now, for the first).
    func schedule(_ bytes: [UInt8], after delay: Double = 0) {
        let base = chunks.last?.at ?? now
        chunks.append((max(base, now) + delay, bytes))
    }

    func write(_ bytes: [UInt8]) throws(TransportError) {
        written += bytes
        onWrite?(bytes)
    }

    func read(maxCount: Int, timeout: Double) throws(TransportError) -> [UInt8] {
        guard let first = chunks.first else {
            now += timeout
            return []
        }
        if first.at > now + timeout {
            now += timeout
            return []
        }
        now = max(now, first.at)
        let n = min(maxCount, first.bytes.count)
        if n == first.bytes.count { chunks.removeFirst() } else { chunks[0].bytes.removeFirst(n) }
        return Array(first.bytes.prefix(n))
    }

    func setBaudRate(_ baud: Int) throws(TransportError) {}
    func setControlLines(dtr: Bool?, rts: Bool?) throws(TransportError) {}
    func discardInput() throws(TransportError) { chunks.removeAll { $0.at <= now } }
    func close() {}
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}
