import SerialBootloader
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C and SIGTERM during a device command: the job is cancelled (it stops at its next command and reports
/// every region), the command prints the report and its result line and exits 128 + the signal. A second signal
/// ends the process at once.
enum Interruption {
    /// The flag every device job of this process watches.
    static let cancellation = CancellationFlag()

    /// The signal that cancelled the job, if one did.
    static var signal: Int32? { received == 0 ? nil : Int32(received) }

    /// Installs the handlers (once the flag exists, so the handler never initializes anything).
    static func install() {
        _ = cancellation
        for sig in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in
                received = sig_atomic_t(sig)
                Interruption.cancellation.cancel()
                Glibc.signal(sig, SIG_DFL)  // a second one ends the process
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0  // no SA_RESTART: a blocking poll returns, and the job sees the flag sooner
            sigaction(sig, &action, nil)
        }
        // A parent may have started us with these blocked (test harnesses do): unblock them, or they never arrive.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
}

/// Set from the signal handler.
nonisolated(unsafe) private var received: sig_atomic_t = 0
