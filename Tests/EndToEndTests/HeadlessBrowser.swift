import Foundation
import TestSupport

/// Debian's Chromium, headless, driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: commands
/// on its fd 3, answers on its fd 4, each a JSON object ended by a NUL byte). `chromium --dump-dom` and
/// `--screenshot` take the page when it has loaded, before a server-sent event has drawn anything, and
/// `--virtual-time-budget` never ends while the page holds an event stream open; over the protocol the test reads
/// the live page's DOM when it wants and takes its screenshot then.
final class HeadlessBrowser: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible { var description: String }

    private let pid: pid_t
    private let commands: Int32
    private let answers: Int32
    private let profile: String
    private var unread: [UInt8] = []
    private var nextID = 1
    private var session: String?

    /// Debian's Chromium; nil (skip) when it is missing and tools are not required.
    static func chromium() throws -> String? {
        for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] where FileManager.default.isExecutableFile(atPath: path) { return path }
        if ToolEnvironment.required { throw Failure(description: "ESPFLASH_REQUIRE_TOOLS=1 but chromium is not installed (apt-get install chromium)") }
        return nil
    }

    init(chromium: String, width: Int = 1400, height: Int = 1300, log: String) throws {
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("espflash-chromium-" + UUID().uuidString).path
        var toBrowser: [Int32] = [0, 0], fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else { throw Failure(description: "pipe failed") }
        // Only the dup2'd copies (3 and 4) reach Chromium.
        for fd in toBrowser + fromBrowser { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_adddup2(&actions, toBrowser[0], 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser[1], 4)
        closeInheritedDescriptors(&actions, from: 5)
        // Root in CI: Chromium's sandbox needs a user namespace a container may not give.
        let arguments = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                         "--no-first-run", "--no-default-browser-check", "--remote-debugging-pipe", "--user-data-dir=" + profile,
                         "--window-size=\(width),\(height)", "about:blank"]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, chromium, &actions, nil, argv, environ)
        Glibc.close(toBrowser[0])
        Glibc.close(fromBrowser[1])
        guard spawned == 0 else {
            Glibc.close(toBrowser[1]); Glibc.close(fromBrowser[0])
            throw Failure(description: "cannot start \(chromium): \(String(cString: strerror(spawned)))")
        }
        self.pid = pid
        commands = toBrowser[1]
        answers = fromBrowser[0]
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        Glibc.close(commands)
        Glibc.close(answers)
        try? FileManager.default.removeItem(atPath: profile)
    }

    /// Opens `url` in a new page and attaches to it (later commands go to that page).
    func open(_ url: String) throws {
        let target = try send("Target.createTarget", ["url": url], toPage: false)
        guard let id = target["targetId"] as? String else { throw Failure(description: "no target: \(target)") }
        let attached = try send("Target.attachToTarget", ["targetId": id, "flatten": true], toPage: false)
        session = attached["sessionId"] as? String
    }

    /// The value of a JavaScript expression in the page.
    func evaluate(_ expression: String) throws -> Any? {
        let answer = try send("Runtime.evaluate", ["expression": expression, "returnByValue": true])
        return (answer["result"] as? [String: Any])?["value"]
    }

    /// The page's DOM as HTML now.
    func dom() throws -> String { try evaluate("document.documentElement.outerHTML") as? String ?? "" }

    /// A PNG of the page as drawn now.
    func screenshot() throws -> Data {
        let answer = try send("Page.captureScreenshot", ["format": "png"])
        guard let text = answer["data"] as? String, let png = Data(base64Encoded: text) else { throw Failure(description: "no screenshot") }
        return png
    }

    func close() {
        _ = try? send("Browser.close", [:], toPage: false, timeout: 5)
    }

    /// Sends one command and waits for its answer (events in between are dropped).
    @discardableResult
    func send(_ method: String, _ parameters: [String: Any], toPage: Bool = true, timeout: Double = 30) throws -> [String: Any] {
        let id = nextID
        nextID += 1
        var message: [String: Any] = ["id": id, "method": method, "params": parameters]
        if toPage, let session { message["sessionId"] = session }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(commands, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "chromium closed its command pipe") }
            written += n
        }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let object = try nextMessage(deadline: deadline, waiting: method)
            guard object["id"] as? Int == id else { continue }
            if let error = object["error"] { throw Failure(description: "\(method): \(error)") }
            return object["result"] as? [String: Any] ?? [:]
        }
    }

    private func nextMessage(deadline: Date, waiting method: String) throws -> [String: Any] {
        while true {
            if let end = unread.firstIndex(of: 0) {
                let data = Data(unread[..<end])
                unread.removeSubrange(...end)
                if let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] { return object }
                continue
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw Failure(description: "chromium did not answer \(method) in time") }
            var descriptor = pollfd(fd: answers, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(min(left, 1) * 1000)) >= 0 else { throw Failure(description: "poll failed") }
            guard descriptor.revents != 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            let n = read(answers, &buffer, buffer.count)
            guard n > 0 else { throw Failure(description: "chromium closed its answer pipe (waiting for \(method))") }
            unread += buffer[0..<n]
        }
    }
}
