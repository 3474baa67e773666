import Crypto
import CryptoExtras
import Synchronization

/// The entries esp-idf-nvs-partition-gen (since 0.1.8) adds by itself for Wi-Fi keys (`write_entry` wrapper,
/// reference/idf-formats.md §2.12), shared by the generator and by `nvs inspect --csv`, which must leave them out.
public enum NVSWiFiEntries {
    /// Keys whose first row also writes `stationExtras` (once per image).
    public static let stationKeys: Set<String> = ["sta.ssid", "sta.pswd"]
    /// Keys whose rows, once all three are set (authmode not "0"), write `ap.pmk_info` before the row.
    public static let accessPointKeys: Set<String> = ["ap.ssid", "ap.passwd", "ap.authmode"]
    public static let pmkInfoKey = "ap.pmk_info"

    /// What follows the first station key: `sta.apinfo` (140 × FF), `sta.pmk` (32 zero bytes), `sta.apsw` (`0000`).
    public static let stationExtras: [(key: String, data: [UInt8])] = [
        ("sta.apinfo", [UInt8](repeating: 0xFF, count: 140)),
        ("sta.pmk", [UInt8](repeating: 0, count: 32)),
        ("sta.apsw", [0, 0]),
    ]

    /// `ap.pmk_info`: 100 zero bytes, then PBKDF2-HMAC-SHA1(passwd, ssid, 4096, 32) over the two values exactly as
    /// the CSV gives them (the text before any encoding is applied).
    public static func pmkInfo(ssid: String, password: String) -> [UInt8] {
        let key = [ssid, password]
        if let known = pmkCache.withLock({ $0[key] }) { return known }
        let info = [UInt8](repeating: 0, count: 100) + pbkdf2SHA1(password: Array(password.utf8), salt: Array(ssid.utf8), iterations: 4096, length: 32)
        pmkCache.withLock { cache in
            if cache.count >= 64 { cache.removeAll() }
            cache[key] = info
        }
        return info
    }

    /// 8,192 HMACs per PMK: an image is generated, exported and regenerated with the same SSID and password (and a
    /// batch gives many devices the same ones), so the last few results are kept.
    private static let pmkCache = Mutex<[[String]: [UInt8]]>([:])

    /// PBKDF2 (RFC 8018) with HMAC-SHA1, as `hashlib.pbkdf2_hmac('sha1', …)`: BoringSSL's, through CryptoExtras (a
    /// Swift loop over `HMAC` spent most of its time copying digests, about 10× slower).
    static func pbkdf2SHA1(password: [UInt8], salt: [UInt8], iterations: Int, length: Int) -> [UInt8] {
        // The rounds are the WPA2 constant 4096, far below the 210,000 the checked variant demands of new passwords.
        let key = try! KDF.Insecure.PBKDF2.deriveKey(from: password, salt: salt, using: .insecureSHA1, outputByteCount: length,
                                                     unsafeUncheckedRounds: iterations)
        return key.withUnsafeBytes { Array($0) }
    }

    /// The `blob_sz_fill(N;0xHH)` or `blob_fill(N;0xHH)` row (encoding, value text) that gives exactly `data`, as
    /// ESP-IDF's Wi-Fi examples write SSIDs and passwords; nil when the bytes are not such text.
    /// `blob_sz_fill`: u32 length, that many bytes of text, fill. `blob_fill`: text then 0x00 fill (a blob without
    /// trailing zeros is taken as text that fills it exactly).
    public static func fillRow(for data: [UInt8]) -> (encoding: String, text: String)? {
        if data.count >= 4 {
            let length = Int(data[0]) | Int(data[1]) << 8 | Int(data[2]) << 16 | Int(data[3]) << 24
            if length <= data.count - 4 {
                let text = Array(data[4..<(4 + length)]), rest = data[(4 + length)...]
                let fill = rest.first ?? 0
                if rest.allSatisfy({ $0 == fill }), let string = csvText(text) {
                    return ("blob_sz_fill(\(data.count - 4);0x\(fill.hexDigits()))", string)
                }
            }
        }
        var end = data.count
        while end > 0, data[end - 1] == 0 { end -= 1 }
        guard let string = csvText(Array(data[..<end])) else { return nil }
        return ("blob_fill(\(data.count);0x00)", string)
    }

    /// Text the generator reads back unchanged from a CSV field: UTF-8 without NUL or CR, and no line starting
    /// with `#` (the generator drops such lines before parsing the CSV).
    static func csvText(_ bytes: [UInt8]) -> String? {
        guard !bytes.contains(0), !bytes.contains(13), let text = String(validating: bytes, as: UTF8.self),
              !text.contains("\n#") else { return nil }
        return text
    }
}
