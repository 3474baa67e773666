#if canImport(Glibc)
import Glibc
#endif

/// The temporary files of atomic writes in progress, removed by a signal handler if SIGINT, SIGTERM or SIGHUP would
/// end the process before they are renamed or removed: a killed write leaves no hidden `.NAME.tmp-*` behind. A
/// signal that already has a handler (a device command's cancellation) keeps it; one that is ignored stays ignored.
/// A signal that would end the process is unblocked while a file is pending (a parent may have started us with it
/// blocked, as test harnesses do) and blocked again afterwards.
enum TemporaryFiles {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Creates a temporary file from a `mkstemp` template and registers it; returns its descriptor and path.
    static func create(template: String) -> (fd: Int32, path: String)? {
        withSignalsBlocked { mask in
            var bytes = Array(template.utf8CString)
            let fd = bytes.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else { return nil }
            let path = String(decoding: bytes.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if isEmpty { installHandlers(&mask) }
            if let free = (0..<slotCount).first(where: { pending[$0] == nil }) { pending[free] = strdup(path) }
            return (fd, path)
        }
    }

    /// The file is gone (renamed into place or removed): forget it, and restore the signals once none is left.
    static func release(_ path: String) {
        withSignalsBlocked { mask in
            for i in 0..<slotCount where pending[i] != nil && String(cString: pending[i]!) == path {
                free(pending[i])
                pending[i] = nil
            }
            if isEmpty { restoreHandlers(&mask) }
        }
    }

    private static var isEmpty: Bool { (0..<slotCount).allSatisfy { pending[$0] == nil } }

    /// Installs the clean-up on every signal that would end the process, and unblocks it in `mask`.
    private static func installHandlers(_ mask: inout sigset_t) {
        for (i, sig) in signals.enumerated() {
            var current = sigaction()
            sigaction(sig, nil, &current)
            saved[i] = current
            // Only a signal that would end the process at once needs the clean-up.
            guard current.__sigaction_handler.sa_handler == nil else { continue }  // SIG_DFL is nil
            wasBlocked[i] = sigismember(&mask, sig) == 1
            sigdelset(&mask, sig)
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in
                // Only async-signal-safe work here: fixed slots, unlink, signal, raise.
                for i in 0..<slotCount { if let path = pending[i] { unlink(path) } }
                signal(sig, SIG_DFL)
                raise(sig)  // delivered when the handler returns: the process ends as it would have
            }
            sigemptyset(&action.sa_mask)
            for other in signals { sigaddset(&action.sa_mask, other) }
            sigaction(sig, &action, nil)
        }
    }

    private static func restoreHandlers(_ mask: inout sigset_t) {
        for (i, sig) in signals.enumerated() {
            guard var previous = saved[i] else { continue }
            sigaction(sig, &previous, nil)
            saved[i] = nil
            if wasBlocked[i] { sigaddset(&mask, sig) }
            wasBlocked[i] = false
        }
    }

    /// Runs `body` with the signals blocked; `body` may change the mask restored afterwards.
    private static func withSignalsBlocked<T>(_ body: (inout sigset_t) -> T) -> T {
        var block = sigset_t(), previous = sigset_t()
        sigemptyset(&block)
        for sig in signals { sigaddset(&block, sig) }
        pthread_sigmask(SIG_BLOCK, &block, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return body(&previous)
    }
}

/// Fixed slots the signal handler reads (plain memory, no Swift array); changed only with the signals blocked.
private let slotCount = 8
nonisolated(unsafe) private let pending: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
    let slots = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: slotCount)
    slots.initialize(repeating: nil, count: slotCount)
    return slots
}()
nonisolated(unsafe) private var saved: [sigaction?] = [nil, nil, nil]
nonisolated(unsafe) private var wasBlocked = [false, false, false]
