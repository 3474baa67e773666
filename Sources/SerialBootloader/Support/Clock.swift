#if canImport(Glibc)
import Glibc
#endif

/// Monotonic time in seconds and sleeping, without Foundation.
package enum Clock {
    package static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    package static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    package static func sleep(until deadline: Double, unitBaud _: Int) { sleep(seconds: deadline - now()) }
}

/// The text of the current `errno`.
package func errnoText() -> String { String(cString: strerror(errno)) }
