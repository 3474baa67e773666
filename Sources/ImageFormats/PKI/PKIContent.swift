import FoundationEssentials
import SwiftASN1
import X509

/// What a PKI item holds, found by parsing it as an X.509 certificate or a private key, PEM or DER.
public struct PKIContent: Sendable {
    public enum Kind: String, Sendable {
        case certificate
        case privateKey = "private-key"
        case unknown
    }

    public var kind: Kind
    /// `PEM`, `DER`, or nil when the content is neither.
    public var encoding: String?
    public var subject: String?
    public var issuer: String?
    public var notValidBefore: Date?
    public var notValidAfter: Date?
    /// `EC P-256`, `RSA 2048`, `Ed25519`…: the certificate's public key or the private key's type.
    public var keyType: String?
    /// Why the content did not parse, when it did not.
    public var problem: String?
    /// The certificate's key, or the private key's public half: used to pair certificates with keys.
    let publicKey: Certificate.PublicKey?

    private init(kind: Kind = .unknown, encoding: String?, problem: String? = nil, publicKey: Certificate.PublicKey? = nil) {
        self.kind = kind
        self.encoding = encoding
        self.problem = problem
        self.publicKey = publicKey
    }

    /// Parses `bytes`. Never fails: unparseable content gives `kind == .unknown` and a `problem`.
    public init(parsing bytes: [UInt8]) {
        self = Self.parse(bytes)
    }

    private static func parse(_ bytes: [UInt8]) -> PKIContent {
        if let text = String(validating: bytes, as: UTF8.self), text.contains("-----BEGIN ") {
            let document: PEMDocument
            do { document = try PEMDocument(pemString: text) } catch {
                return PKIContent(encoding: "PEM", problem: "unreadable PEM: \(error)")
            }
            if document.discriminator == "CERTIFICATE" || document.discriminator == "TRUSTED CERTIFICATE" {
                return certificate(document.derBytes, encoding: "PEM")
            } else if document.discriminator.hasSuffix("PRIVATE KEY") {
                return key(document, encoding: "PEM")
            }
            return PKIContent(encoding: "PEM", problem: "PEM block '\(document.discriminator)' is neither a certificate nor a private key")
        }
        // DER: a certificate, then a PKCS#8, SEC1 (EC) or PKCS#1 (RSA) private key.
        if (try? Certificate(derEncoded: bytes)) != nil { return certificate(bytes, encoding: "DER") }
        for label in ["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"] {
            let document = PEMDocument(type: label, derBytes: bytes)
            if (try? Certificate.PrivateKey(pemDocument: document)) != nil { return key(document, encoding: "DER") }
        }
        return PKIContent(encoding: nil, problem: "neither a certificate nor a private key (PEM or DER)")
    }

    private static func certificate(_ der: [UInt8], encoding: String) -> PKIContent {
        do {
            let certificate = try Certificate(derEncoded: der)
            var content = PKIContent(kind: .certificate, encoding: encoding, publicKey: certificate.publicKey)
            content.subject = certificate.subject.description
            content.issuer = certificate.issuer.description
            content.notValidBefore = certificate.notValidBefore
            content.notValidAfter = certificate.notValidAfter
            content.keyType = keyTypeName(certificate.publicKey.description)
            return content
        } catch {
            return PKIContent(encoding: encoding, problem: "not a valid X.509 certificate: \(error)")
        }
    }

    private static func key(_ document: PEMDocument, encoding: String) -> PKIContent {
        do {
            let key = try Certificate.PrivateKey(pemDocument: document)
            var content = PKIContent(kind: .privateKey, encoding: encoding, publicKey: key.publicKey)
            content.keyType = keyTypeName(key.description)
            return content
        } catch {
            return PKIContent(encoding: encoding, problem: "unsupported or invalid private key: \(error)")
        }
    }

    /// Whether a certificate and a private key belong together; nil unless one of each, both parsed.
    public func matches(_ other: PKIContent) -> Bool? {
        guard let a = publicKey, let b = other.publicKey, Set([kind, other.kind]) == [.certificate, .privateKey] else { return nil }
        return a == b
    }

    /// `P256.PublicKey` → `EC P-256`, `RSA2048.PrivateKey` → `RSA 2048`.
    static func keyTypeName(_ description: String) -> String {
        let base = description.replacing(".PublicKey", with: "").replacing(".PrivateKey", with: "")
        switch base {
        case "P256": return "EC P-256"
        case "P384": return "EC P-384"
        case "P521": return "EC P-521"
        default:
            if base.hasPrefix("RSA") { return "RSA " + base.dropFirst(3) }
            return base
        }
    }
}

extension PKIBundle {
    /// Parses every item, and warns about items whose content does not fit their type and about a certificate and a
    /// key with the same id whose public keys differ. Type 0x02 is accepted for keys and CAs (esp-at v2.2 – v2.4).
    public func describe() -> (contents: [PKIContent], warnings: [FormatWarning]) {
        let contents = items.map { PKIContent(parsing: $0.content) }
        var warnings: [FormatWarning] = []
        for (item, content) in zip(items, contents) {
            let name = "\(item.kind) \(item.id)"
            switch (item.kind, content.kind) {
            case (.ca, .privateKey): warnings.append(FormatWarning("\(name) is a private key, stored as a CA"))
            case (.key, .certificate): warnings.append(FormatWarning("\(name) is a certificate, stored as a key"))
            case (_, .unknown) where item.kind.word != nil:
                warnings.append(FormatWarning("\(name): \(content.problem ?? "unreadable content")"))
            default: break
            }
        }
        // Pairs: a key item with id N against a certificate with id N (cert items; v2.2–v2.4 tagged keys 0x02 too).
        for (i, item) in items.enumerated() where contents[i].kind == .privateKey {
            for (j, other) in items.enumerated() where j != i && other.id == item.id && other.kind != .ca && contents[j].kind == .certificate {
                if contents[i].matches(contents[j]) == false {
                    warnings.append(FormatWarning("\(other.kind) \(other.id) and \(item.kind) \(item.id) have the same id but the key does not belong to the certificate"))
                }
            }
        }
        return (contents, warnings)
    }
}
