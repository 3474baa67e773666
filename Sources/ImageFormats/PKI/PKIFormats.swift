/// PKI inputs behind `FormatDecoder`: the bin (`pki-bin`) and one PEM or DER item (`pki-item`).

/// A PKI bin, written back as AtPKI.py writes it.
public struct PKIBinaryFormat: FormatEncoder {
    public typealias Value = PKIBundle.Decoded
    public init() {}
    public var formatName: String { "pki-bin" }
    public func decode(_ bytes: [UInt8]) throws(FormatError) -> PKIBundle.Decoded { try PKIBundle.decode(bytes) }
    public func encode(_ decoded: PKIBundle.Decoded) throws(FormatError) -> [UInt8] { try decoded.bundle.encoded() }

    /// The round trip, and a bin AtPKI.py would write (FF padding everywhere, nothing odd) comes back byte for byte.
    public func checkProperties(_ bytes: [UInt8]) -> String? {
        let trip = roundTripProblem(bytes)
        if let problem = trip.problem { return problem }
        guard let decoded = trip.value, let encoded = trip.encoded, decoded.warnings.isEmpty,
              encoded.count == PKIBundle.headerSize + decoded.totalLength else { return nil }
        guard Array(bytes.prefix(encoded.count)) == encoded else {
            return "\(formatName): a canonical bin does not re-encode to itself\(Self.firstDifference(Array(bytes.prefix(encoded.count)), encoded))"
        }
        _ = decoded.bundle.describe()
        return nil
    }
}

/// One certificate or key file (PEM or DER) as `pki build` describes it; never fails, an unreadable item says why.
public struct PKIItemFormat: FormatDecoder {
    public typealias Value = PKIContent
    public init() {}
    public var formatName: String { "pki-item" }
    public var maxInputSize: Int { PKIBundle.maximumContentLength }
    public func decode(_ bytes: [UInt8]) throws(FormatError) -> PKIContent { PKIContent(parsing: bytes) }
}
