import Hummingbird
import ImageFormats
import Logging
import NIOCore
import Station

/// The line's web dashboard (`station serve`): one static page, JSON endpoints and a server-sent-event stream, all
/// read-only, over any `StationStore`. See the README for the endpoints.
public struct LineServer: Sendable {
    public let store: any StationStore
    public let address: ListenAddress
    /// Records of the last this many hours make the yields and failures.
    public var windowHours = 24

    public init(store: any StationStore, address: ListenAddress) {
        self.store = store
        self.address = address
    }

    /// Serves until the calling task is cancelled; `onListening` gets the address bound (the port chosen when 0).
    public func run(onListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void) async throws {
        let monitor = LineMonitor(store: store, windowHours: windowHours)
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ReadOnly())
        LineRoutes(monitor: monitor, store: store).add(to: router)
        let logger = Logger(label: "espflash-swift.dashboard", factory: { _ in SwiftLogNoOpLogHandler() })
        let host = address.host
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: address.port), serverName: "espflash-swift"),
                              onServerRunning: { channel in onListening(host, channel.localAddress?.port ?? 0) }, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await monitor.run() }
            group.addTask { try await app.run() }
            // Either ends only by cancellation or a failure to bind: then stop the other.
            try await group.next()
            group.cancelAll()
        }
    }
}

/// Everything but GET and HEAD is refused: the dashboard writes nothing.
struct ReadOnly: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get || request.method == .head else {
            return Response(status: .methodNotAllowed, headers: [.allow: "GET, HEAD", .contentType: "text/plain"],
                            body: .init(byteBuffer: ByteBuffer(string: "read-only: the dashboard has no write endpoints\n")))
        }
        return try await next(request, context)
    }
}

/// `HOST:PORT`, `[IPV6]:PORT`, `:PORT` or `PORT` (the last two on the loopback address 127.0.0.1).
public struct ListenAddress: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init?(_ text: String) {
        var host = "127.0.0.1"
        var portText = Substring(text)
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            if colon != text.startIndex { host = String(text[..<colon]) }
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else { return nil }
        self.host = host
        self.port = port
    }

    /// Whether only this computer can reach the address.
    public var isLoopback: Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }
}
