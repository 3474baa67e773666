import Synchronization

/// Stops a running job: set it from any thread (or a signal handler: it is one lock-free store) and the job ends
/// at the next command boundary with a `cancelled` failure that carries its per-region report. Jobs also stop when
/// the Swift task they run in is cancelled.
public final class CancellationFlag: Sendable {
    private let state = Atomic<Bool>(false)

    public init() {}

    public func cancel() { state.store(true, ordering: .relaxed) }

    /// Whether `cancel()` was called or the current task was cancelled.
    public var isCancelled: Bool { state.load(ordering: .relaxed) || Task.isCancelled }
}
