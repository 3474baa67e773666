import ChipEmulator
import ImageFormats
import SerialBootloader
import Synchronization

/// A `virtual://` opener bound to one emulated chip the test holds, so that its flash can be looked at afterwards.
/// `failedReopens` makes that many reopen attempts fail first, as a USB port that takes a moment to come back.
final class ChipOpener: PortOpener, @unchecked Sendable {
    let device: EmulatedDevice
    let faults: FaultPlan
    private let reopenFailuresLeft: Mutex<Int>
    /// Sessions are touched only by the job's thread while it runs; the box lets them sit in the Mutex.
    private struct SessionBox: @unchecked Sendable { let session: EmulatorSession }
    private let sessions = Mutex<[SessionBox]>([])

    init(_ chip: Chip, flashSize: Int = 4 << 20, contents: [UInt8]? = nil, timing: FlashTiming = .none, faults: FaultPlan = FaultPlan(),
         failedReopens: Int = 0) {
        device = EmulatedDevice(profile: .profile(for: chip)!, flashSize: flashSize, flashContents: contents, timing: timing)
        self.faults = faults
        reopenFailuresLeft = Mutex(failedReopens)
    }

    var request: ConnectRequest {
        var request = ConnectRequest(port: .virtual(VirtualPortAddress(chip: device.profile.chip)), opener: self)
        request.before = .noReset
        request.reopenTimeout = 2
        return request
    }

    var flash: [UInt8] { device.flash.contents }

    /// Requests the chip received, by opcode name, over every connection.
    var requests: [String: Int] {
        sessions.withLock { $0.reduce(into: [:]) { total, box in total.merge(box.session.statistics.requests, uniquingKeysWith: +) } }
    }

    func open(_ address: PortAddress, baudRate: Int) throws(TransportError) -> any Transport {
        let session = EmulatorSession(device: device, faults: faults)
        let box = SessionBox(session: session)
        sessions.withLock { $0.append(box) }
        return InProcessTransport(session: session, portName: address.description)
    }

    func reopen(_ failed: any Transport, at address: PortAddress, baudRate: Int) throws(TransportError) -> any Transport {
        failed.close()
        let fail = reopenFailuresLeft.withLock { left in
            defer { left = max(0, left - 1) }
            return left > 0
        }
        if fail { throw TransportError(.open, "\(address.description): no such device (yet)") }
        return try open(address, baudRate: baudRate)
    }
}

/// Collects a job's events from whatever thread emits them.
final class EventLog: Sendable {
    private let events = Mutex<[JobEvent]>([])

    var context: JobContext { JobContext { [self] event in events.withLock { $0.append(event) } } }

    func context(cancellation: CancellationFlag, onEvent: @escaping @Sendable (JobEvent) -> Void = { _ in }) -> JobContext {
        JobContext(cancellation: cancellation) { [self] event in
            events.withLock { $0.append(event) }
            onEvent(event)
        }
    }

    var all: [JobEvent] { events.withLock { $0 } }

    var retries: [(index: Int?, reason: String)] {
        all.compactMap { if case .retry(let index, _, let reason) = $0 { (index, reason) } else { nil } }
    }

    var stages: [JobStage] { all.compactMap { if case .stageStarted(let stage) = $0 { stage } else { nil } } }

    var reopenedPorts: Int { all.filter { if case .portReopened = $0 { true } else { false } }.count }

    var warnings: [String] { all.compactMap { if case .note(let text, true) = $0 { text } else { nil } } }
}

extension Array where Element == UInt8 {
    /// `self` with `data` written at `offset`.
    func replacing(at offset: Int, with data: [UInt8]) -> [UInt8] {
        var copy = self
        copy.replaceSubrange(offset..<(offset + data.count), with: data)
        return copy
    }
}
