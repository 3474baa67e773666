#if canImport(Glibc)
import Glibc
#endif

/// A mutex for the one emulated chip that two servers (download UART, AT UART) share, each on its own thread.
public final class DeviceLock: @unchecked Sendable {
    private var mutex = pthread_mutex_t()

    public init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    public func withLock<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}
