import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A whole device command in one call: connect, the job `body` runs on the session, `--after`, release the port.
/// The outcome holds the value or the failure (with its stage and per-region report), and the totals a report
/// needs; `retries` equals the `retry` events emitted. A failed `--after` is a warning event, not a failure (the
/// flash is written and verified by then). Nothing is reset after a failure: the chip stays in its ROM loader.
public enum DeviceJob {
    public static func run<Value>(_ request: ConnectRequest, after: AfterAction = .hardReset, context: JobContext = JobContext(),
                                  _ body: (DeviceSession) throws(JobFailure) -> Value) -> JobOutcome<Value> {
        let started = Clock.now()
        let counter = EventCounter()
        var counting = context
        counting.onEvent = { event in
            if case .retry = event { counter.add() }
            context.onEvent(event)
        }
        var session: DeviceSession?
        let result: Result<Value, JobFailure>
        do throws(JobFailure) {
            let connected = try DeviceSession.connect(request, context: counting)
            session = connected
            let value = try body(connected)
            do throws(JobFailure) { try connected.finish(after) } catch {
                counting.onEvent(.note("--after \(after.rawValue): \(error.message)", isWarning: true))
            }
            try connected.closeChecked()
            result = .success(value)
        } catch {
            result = .failure(error)
        }
        session?.close()
        return JobOutcome(result: result, device: session?.info, retries: counter.value, bytesSent: session?.bytesSent ?? 0,
                          seconds: Clock.now() - started)
    }

    /// Runs `body` (a blocking job) on a thread of its own and waits for it without blocking a Swift concurrency
    /// thread, so that many ports can be driven from tasks at once. Cancelling the calling task sets `cancellation`,
    /// which the job sees at its next command.
    public static func detached<T: Sendable>(cancellation: CancellationFlag, _ body: @escaping @Sendable () -> T) async -> T {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
                startThread { continuation.resume(returning: body()) }
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    private final class ThreadBody {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    private static func startThread(_ run: @escaping () -> Void) {
        let box = Unmanaged.passRetained(ThreadBody(run)).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { raw in
            Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, box)
        if created == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<ThreadBody>.fromOpaque(box).takeRetainedValue().run()  // no thread to be had: run here
        }
    }
}

/// Counts events from whatever thread emits them.
final class EventCounter: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
