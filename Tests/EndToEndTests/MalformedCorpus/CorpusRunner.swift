import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Runs corpus cases: each in a fresh folder, the binary started with posix_spawn (a few milliseconds each, so the
/// whole corpus runs in seconds), and every rule checked. Returns the problems, one line per broken rule.
enum CorpusRunner {
    static func run(_ c: CorpusCase) throws -> [String] {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, file) in c.files {
            let path = dir + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            switch file {
            case .bytes(let bytes): try Data(bytes).write(to: URL(fileURLWithPath: path))
            case .directory: try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            case .symlink(let target): try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
            }
        }
        if let output = c.output, c.checkOutput, let existing = c.existingOutput { try Data(existing).write(to: URL(fileURLWithPath: dir + "/" + output)) }
        let arguments = c.arguments.map { argument -> String in
            var a = argument.replacingOccurrences(of: "{D}", with: dir)
            if let output = c.output { a = a.replacingOccurrences(of: "{out}", with: dir + "/" + output) }
            return a
        }
        let (status, stderr) = try spawn(CLI.binary, arguments, in: dir)
        var broken: [String] = []
        func fail(_ what: String) { broken.append(what) }
        if status != c.expect.exit { fail("exit \(status), expected \(c.expect.exit)") }
        if status >= 128 || status < 0 || ["Fatal error", "Backtrace", "Stack dump", "stack trace"].contains(where: stderr.contains) {
            fail("crashed")
        }
        if c.expect.exit != 0 {
            let first = stderr.split(separator: "\n").first.map(String.init) ?? ""
            if !first.hasPrefix("error: ") { fail("the first stderr line is not 'error: …'") }
            if !first.contains(c.names) { fail("the message does not name \(c.names)") }
            switch c.expect.location {
            case .line(let line, let field):
                if !first.contains(":\(line): ") { fail("the message does not name line \(line)") }
                if let field, !first.contains("field '\(field)'") { fail("the message does not name field '\(field)'") }
            case .anyLine:
                if first.range(of: #":[0-9]+: "#, options: .regularExpression) == nil { fail("the message names no line") }
            case .byte(let field):
                if !first.contains("byte 0x") { fail("the message names no byte offset") }
                if let field, !first.contains("field '\(field)'") { fail("the message does not name field '\(field)'") }
            case .place:
                if first.range(of: #":[0-9]+: |byte 0x"#, options: .regularExpression) == nil { fail("the message names no line or byte offset") }
            case .none: break
            }
        }
        if let output = c.output, c.checkOutput {
            let path = dir + "/" + output
            let now = FileManager.default.contents(atPath: path).map(Array.init)
            if c.expect.exit == 0 {
                if now == nil || now == c.existingOutput { fail("no output was written") }
            } else if let existing = c.existingOutput {
                if now != existing { fail("the existing output was changed") }
            } else if now != nil {
                fail("an output file was written")
            }
        }
        if let unchanged = c.unchanged, FileManager.default.contents(atPath: dir + "/" + unchanged.path).map(Array.init) != unchanged.bytes {
            fail("\(unchanged.path) was changed")
        }
        let litter = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix(".") }
        if !litter.isEmpty { fail("left \(litter)") }
        guard !broken.isEmpty else { return [] }
        let shown = arguments.map { $0.replacingOccurrences(of: dir + "/", with: "") }.joined(separator: " ")
        let said = stderr.split(separator: "\n").first.map { $0.replacingOccurrences(of: dir + "/", with: "") } ?? ""
        return ["\(c): " + broken.joined(separator: "; ") + "\n    $ \(shown)\n    → \(said)"]
    }

    /// posix_spawn with stdout to /dev/null and stderr captured in a file.
    static func spawn(_ executable: String, _ arguments: [String], in dir: String) throws -> (Int32, String) {
        let errPath = dir + "/../" + (dir as NSString).lastPathComponent + ".stderr"
        defer { unlink(errPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        closeInheritedDescriptors(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A clean signal state: nothing blocked or ignored that the tool would inherit from the test runner.
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        // A case that hangs (an input taken as valid by a command that then waits for a device) is killed after
        // 60 s and fails on its exit code instead of stopping the suite.
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(60)
        while true {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid || (waited < 0 && errno != EINTR) { break }
            if Date() > deadline { kill(pid, SIGKILL) }
            usleep(2000)
        }
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (exit, stderr)
    }
}
