import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The harness's own raw spawns (PostgreSQL, Chromium) must not carry other tests' pipes into long-lived children:
/// a CI run once hung because a reader never saw its pipe end.
struct SpawnActionsTests {
    /// The descriptors a child shell holds, spawned with or without `closeInheritedDescriptors`.
    static func descriptorsOfChild(closingInherited: Bool) throws -> Set<Int32> {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let listing = dir + "/fds.txt"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, listing, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if closingInherited { closeInheritedDescriptors(&actions) }
        let words: [String] = ["/bin/sh", "-c", "ls /proc/$$/fd"]
        let argv = words.map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        var pid = pid_t()
        #expect(posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ) == 0)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = try String(contentsOfFile: listing, encoding: .utf8)
        return Set(text.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) })
    }

    @Test func aPipeOfTheTestProcessDoesNotReachASpawnedChild() throws {
        let pipe = Pipe()  // Foundation's pipes are inheritable
        let writeEnd = pipe.fileHandleForWriting.fileDescriptor
        #expect(fcntl(writeEnd, F_GETFD) & FD_CLOEXEC == 0)
        // Without the action the child holds it (what made the hang possible) …
        #expect(try Self.descriptorsOfChild(closingInherited: false).contains(writeEnd))
        // … with it the child has its three standard streams and nothing of ours.
        let kept = try Self.descriptorsOfChild(closingInherited: true)
        #expect(!kept.contains(writeEnd))
        #expect(kept.isSubset(of: [0, 1, 2, 3]), "\(kept.sorted())")  // 3: the listing's own directory handle
    }
}
