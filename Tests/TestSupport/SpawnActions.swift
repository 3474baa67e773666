import Foundation

/// Adds "close every descriptor from `lowest` up" to a child's posix_spawn file actions.
///
/// Foundation's `Pipe` makes inheritable descriptors, and a test process holds many at once (each `LineProcess`'s
/// stdout pipe). A raw posix_spawn child inherits all of them. A long-lived child (the PostgreSQL server that
/// `pg_ctl start` leaves running, Chromium) that holds the write end of another test's stdout pipe keeps that pipe
/// open after its process has exited, so the test reading it never sees end-of-file and waits forever.
/// Foundation's own `Process` closes them; these spawns must too.
public func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t, from lowest: Int32 = 3) {
    if let closeFrom = addCloseFrom {
        _ = closeFrom(&actions, lowest)
        return
    }
    // Before glibc 2.34: close what is open now (a descriptor opened in the meantime by another thread may leak).
    let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
    for fd in open where fd >= lowest { posix_spawn_file_actions_addclose(&actions, fd) }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module does not import.
private let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()
