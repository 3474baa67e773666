import Foundation

/// What a finished program wrote and how it exited.
public struct ProcessOutput {
    public var status: Int32
    public var stdout: Data
    public var stderr: Data
}

/// Runs a program to completion with stdin closed. Output goes to files rather than pipes, so a large output can
/// never block the child. `mergingStderr` sends both streams to `stdout` (interleaved as written). After `timeout`
/// the program gets SIGTERM, 10 s later SIGKILL, and its stderr says so: a hung child fails its test instead of
/// stopping the whole run.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:], cwd: String? = nil,
                       mergingStderr: Bool = false, timeout: TimeInterval = 600) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("espflash-run-" + UUID().uuidString)
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
    process.standardOutput = out
    process.standardError = mergingStderr ? out : err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let timedOut = !process.exits(within: timeout)
    if timedOut {
        process.terminate()
        process.stop(within: 10)
    }
    try out.close()
    try err.close()
    var stderr = try Data(contentsOf: errURL)
    if timedOut { stderr.append(Data("\n[test runner: \((executable as NSString).lastPathComponent) killed after \(Int(timeout)) s]\n".utf8)) }
    return ProcessOutput(status: process.terminationStatus, stdout: try Data(contentsOf: outURL), stderr: stderr)
}

extension Process {
    /// Whether the process has exited within `seconds` (polled; Foundation's wait has no deadline).
    public func exits(within seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return !isRunning
    }

    /// Waits up to `seconds` for a process already asked to end, then SIGKILLs it, and reaps it.
    public func stop(within seconds: TimeInterval) {
        if !exits(within: seconds) { kill(processIdentifier, SIGKILL) }
        waitUntilExit()
    }
}

/// An external program's (an original tool's) result as text.
public struct ToolOutput {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs an external program (an original tool) with a generous timeout.
public func runTool(_ path: String, _ arguments: [String], mergingStderr: Bool = false, timeout: TimeInterval = 300) throws -> ToolOutput {
    let output = try runProcess(path, arguments, mergingStderr: mergingStderr, timeout: timeout)
    return ToolOutput(status: output.status, stdout: String(decoding: output.stdout, as: UTF8.self),
                      stderr: String(decoding: output.stderr, as: UTF8.self))
}

/// Runs blocking work (waiting for a child process, reading a pipe) on a thread of its own instead of Swift's
/// cooperative pool. The pool has one thread per core (two in CI), shared by every test of the process: an async
/// test that blocks one of them for seconds stalls the others' timers and tasks.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
