import Crypto
import CryptoExtras

/// One AES block (16 bytes) encrypted or decrypted in place with a 256-bit key: the building block of NVS's
/// XTS-AES-256 (`XTSCipher`). This is the only file that uses swift-crypto's CryptoExtras (`AES.permute`,
/// `AES.inversePermute`), so a change in that product's API touches nothing else.
enum AESBlock {
    static func encrypt(_ block: inout [UInt8], key: SymmetricKey) {
        // Keys are always 32 bytes and blocks 16 here (checked where NVSKeys are made), so this cannot fail.
        try! AES.permute(&block, key: key)
    }

    static func decrypt(_ block: inout [UInt8], key: SymmetricKey) {
        try! AES.inversePermute(&block, key: key)
    }
}
