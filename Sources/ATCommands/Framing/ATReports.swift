/// The messages an AT firmware sends on its own ("ESP-AT Message Reports (active)" in the esp-at command set, plus
/// what a module prints while it boots), which must never be taken for a command's response.
public enum ATReports {
    static let exact: Set<String> = [
        "ready", "WIFI CONNECTED", "WIFI GOT IP", "WIFI GOT IPv6 LL", "WIFI GOT IPv6 GL", "WIFI DISCONNECT",
        "Will force to restart!!!", "Smart get wifi info", "smartconfig connected wifi", "CONNECT", "CLOSED",
        "CONNECT FAIL", "SEND Canceled", "NO CERT FOUND", "NO PRVT_KEY FOUND", "NO CA FOUND", "no ip",
    ]

    static let prefixes: [String] = [
        "smartconfig type:", "Have ", "ets ", "rst:", "boot:", "configsip:", "clk_drv:", "mode:", "load:", "entry ",
        "ho ", "ESP-ROM:", "Build:", "SPIWP:", "invalid header", "Saved PC:", "I (", "W (", "E (", "D (", "V (",
    ]

    /// `ready`, `WIFI GOT IP`, `0,CONNECT`, boot log lines such as `rst:0x1 (POWERON_RESET)` and `I (31) boot: …`.
    public static func isReport(_ line: String) -> Bool {
        if exact.contains(line) { return true }
        if prefixes.contains(where: { line.hasPrefix($0) }) { return true }
        // [<link id>,]CONNECT / CLOSED / CONNECT FAIL
        if let comma = line.firstIndex(of: ","), line[..<comma].allSatisfy(\.isNumber), !line[..<comma].isEmpty {
            return exact.contains(String(line[line.index(after: comma)...]))
        }
        return false
    }
}
