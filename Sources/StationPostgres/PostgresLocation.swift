import Station

/// A `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]` URL (also `postgresql://`),
/// checked. The password may come from `PGPASSWORD` instead; `location` never shows it.
public struct PostgresLocation: Sendable, Equatable {
    public enum TLSMode: String, Sendable { case disable, prefer, require }

    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var tls: TLSMode

    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses `url`; `environment` supplies `PGPASSWORD` when the URL has no password.
    public init(url: String, environment: [String: String] = [:]) throws(StoreError) {
        func bad(_ why: String) -> StoreError {
            StoreError(.unavailable, "'\(Self.redacted(url))' is not a PostgreSQL URL: \(why) (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE)")
        }
        guard let schemeEnd = url.range(of: "://"), Self.isPostgresURL(url) else { throw bad("it must start with postgres://") }
        var rest = Substring(url[schemeEnd.upperBound...])
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        guard let at = rest.lastIndex(of: "@") else { throw bad("no user (USER@HOST)") }
        let userInfo = rest[..<at]
        var hostPart = rest[rest.index(after: at)...]
        var path: Substring = ""
        if let slash = hostPart.firstIndex(of: "/") {
            path = hostPart[hostPart.index(after: slash)...]
            hostPart = hostPart[..<slash]
        }
        let (userText, passwordText) = userInfo.firstIndex(of: ":").map { (userInfo[..<$0], Optional(userInfo[userInfo.index(after: $0)...])) }
            ?? (userInfo, nil)
        guard let user = Self.percentDecoded(userText), !user.isEmpty else { throw bad("no user name") }
        self.user = user
        if let passwordText {
            guard let password = Self.percentDecoded(passwordText) else { throw bad("bad %-escape in the password") }
            self.password = password
        } else {
            password = environment["PGPASSWORD"]
        }
        var portText: Substring?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { throw bad("unclosed [ in the host") }
            host = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw bad("junk after the host") }
        } else if let colon = hostPart.lastIndex(of: ":") {
            host = String(hostPart[..<colon])
            portText = hostPart[hostPart.index(after: colon)...]
        } else {
            host = String(hostPart)
        }
        guard !host.isEmpty else { throw bad("no host") }
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { throw bad("port '\(portText)' is not 1…65535") }
            port = p
        } else {
            port = 5432
        }
        guard let database = Self.percentDecoded(path) else { throw bad("bad %-escape in the database name") }
        self.database = database.isEmpty ? user : database
        tls = .prefer
        for option in query.split(separator: "&") where !option.isEmpty {
            let parts = option.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0] == "sslmode" else { throw bad("unknown option '\(option)' (only sslmode=disable|prefer|require)") }
            guard let mode = TLSMode(rawValue: String(parts[1])) else { throw bad("sslmode is disable, prefer or require, not '\(parts[1])'") }
            tls = mode
        }
    }

    /// The URL as messages show it: no password.
    public var location: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(hostText):\(port)/\(database)" + (tls == .prefer ? "" : "?sslmode=\(tls.rawValue)")
    }

    /// `url` with any password replaced by `***` (for an error about the URL itself).
    static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"), let at = url[schemeEnd.upperBound...].lastIndex(of: "@"),
              let colon = url[schemeEnd.upperBound..<at].firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }

    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var i = text.utf8.startIndex
        let utf8 = text.utf8
        while i != utf8.endIndex {
            let byte = utf8[i]
            if byte == UInt8(ascii: "%") {
                let h = utf8.index(after: i)
                guard h != utf8.endIndex, utf8.index(after: h) != utf8.endIndex,
                      let value = UInt8(String(decoding: utf8[h...utf8.index(after: h)], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(value)
                i = utf8.index(h, offsetBy: 2)
            } else {
                bytes.append(byte)
                i = utf8.index(after: i)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
