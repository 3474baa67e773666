import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The CI-sized sample of scripts/bench-bounds.sh: large inputs end in bounded time and memory (peak RSS of the
/// tool, from wait4), or are refused with a clear limit.
@Suite struct ResourceBoundsCLITests {
    struct Measured {
        var exit: Int32
        var seconds: Double
        var peakMB: Int
        var stderr: String
    }

    /// Runs the tool and measures it.
    static func measure(_ arguments: [String], in dir: String) throws -> Measured {
        let errPath = dir + "/stderr.txt", rssPath = dir + "/maxrss.txt"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        closeInheritedDescriptors(&actions)
        // The tool is started from a small python3, which reports its peak RSS: a process posix_spawn starts (vfork)
        // inherits its parent's peak in ru_maxrss, and this test process is far larger than the tool.
        let script = "import os,sys\npid=os.posix_spawn(sys.argv[2],sys.argv[2:],os.environ)\n_,st,ru=os.wait4(pid,0)\n"
            + "open(sys.argv[1],'w').write(str(ru.ru_maxrss))\nsys.exit(128+os.WTERMSIG(st) if os.WIFSIGNALED(st) else os.WEXITSTATUS(st))\n"
        let argv = (["/usr/bin/env", "python3", "-c", script, rssPath, CLI.binary] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid = pid_t()
        let started = Date()
        guard posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, environ) == 0 else { throw POSIXError(.EIO) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let maxRSS = Int((try? String(contentsOfFile: rssPath, encoding: .utf8)) ?? "") ?? Int.max / 2
        return Measured(exit: exit, seconds: Date().timeIntervalSince(started), peakMB: maxRSS / 1024,
                        stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    static func write(_ text: String, _ path: String) throws { try text.write(toFile: path, atomically: false, encoding: .utf8) }

    @Test func aTenThousandLinePartitionCSVIsRefusedQuickly() throws {
        let dir = try CLI.temporaryDirectory()
        try Self.write("# Name, Type, SubType, Offset, Size\n" + (0..<10_000).map { "p\($0), 0x40, 0x00, , 4K\n" }.joined(), dir + "/big.csv")
        let m = try Self.measure(["partition-table", dir + "/big.csv", "-o", dir + "/out.bin"], in: dir)
        #expect(m.exit == 2 && m.stderr.contains("longer than max"), "\(m.stderr)")
        #expect(m.seconds < 10 && m.peakMB < 200, "\(m.seconds) s, \(m.peakMB) MB")
    }

    @Test func aTwentyThousandRowNVSImageIsMadeAndReadInBoundedMemory() throws {
        let dir = try CLI.temporaryDirectory()
        try Self.write("key,type,encoding,value\nns,namespace,,\n" + (0..<20_000).map { "k\($0),data,u32,\($0)\n" }.joined(), dir + "/big.csv")
        let made = try Self.measure(["nvs", "generate", dir + "/big.csv", dir + "/big.bin", "2MB"], in: dir)
        #expect(made.exit == 0, "\(made.stderr)")
        #expect(made.seconds < 10 && made.peakMB < 200, "\(made.seconds) s, \(made.peakMB) MB")
        let read = try Self.measure(["nvs", "inspect", dir + "/big.bin"], in: dir)
        #expect(read.exit == 0, "\(read.stderr)")
        #expect(read.seconds < 10 && read.peakMB < 200, "\(read.seconds) s, \(read.peakMB) MB")
    }

    @Test func anEightMegabyteMergeStaysNearItsSize() throws {
        let dir = try CLI.temporaryDirectory()
        var pairs: [String] = []
        for n in 0..<4 {
            try Data(repeating: UInt8(n + 1), count: 2 << 20).write(to: URL(fileURLWithPath: dir + "/p\(n).bin"))
            pairs += ["0x" + String(n * (2 << 20), radix: 16), dir + "/p\(n).bin"]
        }
        let m = try Self.measure(["merge-bin", "--chip", "esp32", "-o", dir + "/out.bin"] + pairs, in: dir)
        #expect(m.exit == 0, "\(m.stderr)")
        #expect(m.seconds < 10 && m.peakMB < 120, "\(m.seconds) s, \(m.peakMB) MB")
    }

    @Test func imageInfoOfASixteenMegabyteFileIsQuick() throws {
        let dir = try CLI.temporaryDirectory()
        _ = try CLI.run(["image", "make-app", "--chip", "esp32", "-o", dir + "/app.bin"])
        var image = Array(try CLI.read(dir + "/app.bin"))
        image += [UInt8](repeating: 0xFF, count: (16 << 20) - image.count)
        try Data(image).write(to: URL(fileURLWithPath: dir + "/big.bin"))
        let m = try Self.measure(["image-info", dir + "/big.bin"], in: dir)
        #expect(m.exit == 0, "\(m.stderr)")
        #expect(m.seconds < 10 && m.peakMB < 120, "\(m.seconds) s, \(m.peakMB) MB")
    }

    /// An endless input stops at the format's limit: 64 MB read as text, 256 MB as a binary, never much more.
    @Test func endlessInputsStopAtTheirLimitInBoundedMemory() throws {
        let dir = try CLI.temporaryDirectory()
        let text = try Self.measure(["nvs", "generate", "/dev/zero", dir + "/o.bin", "0x3000"], in: dir)
        #expect(text.exit == 2 && text.stderr.contains("larger than 64 MB"), "\(text.stderr)")
        #expect(text.peakMB < 160, "\(text.peakMB) MB")
        let binary = try Self.measure(["image-info", "/dev/zero"], in: dir)
        #expect(binary.exit == 2 && binary.stderr.contains("larger than 256 MB"), "\(binary.stderr)")
        #expect(binary.seconds < 20 && binary.peakMB < 400, "\(binary.seconds) s, \(binary.peakMB) MB")
    }
}
