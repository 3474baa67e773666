import SerialBootloader
import Synchronization

/// Finds the run's ports by itself: the serial ports the system lists that pass the filter (without one, those that
/// look like an ESP board's), looked for again and again, so a board plugged in mid-run becomes a port of the run
/// and a new module. A port that goes away ends its loop; when it comes back it is a new port again.
public struct PortDiscovery: Sendable {
    public var enumerator: SerialPortEnumerator
    public var filter: PortFilter
    /// Seconds between looks.
    public var interval: Double

    public init(enumerator: SerialPortEnumerator = .system(), filter: PortFilter = PortFilter(), interval: Double = 1) {
        self.enumerator = enumerator
        self.filter = filter
        self.interval = interval
    }

    /// The device paths of the ports there now that the run takes.
    public func candidates() -> [String] {
        let passing = enumerator.ports().filter(filter.matches)
        return (filter.isEmpty ? passing.filter(\.isESPCandidate) : passing).map(\.path)
    }

    /// Whether the port at `path` is still listed (a USB board unplugged is not).
    func isPresent(_ path: String) -> Bool {
        enumerator.info(forDevice: path) != nil
    }
}

/// The discovered ports that have a loop running, so that one port never gets two.
final class ActivePorts: Sendable {
    private let paths = Mutex<Set<String>>([])

    /// Takes the port; false when it already has a loop.
    func take(_ path: String) -> Bool { paths.withLock { $0.insert(path).inserted } }
    func release(_ path: String) { _ = paths.withLock { $0.remove(path) } }
}
