import Crypto
import CryptoExtras

/// AES on many independent 16-byte blocks at once (what ECB mode would give) with a 256-bit key: the building block
/// of NVS's XTS-AES-256 (`XTSCipher`).
///
/// swift-crypto has no ECB mode, and its single-block `AES.permute` expands the key again for every block, which
/// made an encrypted NVS image cost thousands of key schedules. Two chaining modes compute their block cipher calls
/// on inputs that are all known in advance when they *decrypt*, so one call of each does a whole batch:
/// - CFB-128 decryption: Pₖ = Cₖ ⊕ E(Cₖ₋₁), C₋₁ = IV. With IV = Y₀ and C = Y₁ … Yₙ₋₁, 0 this gives E(Yₖ) = Pₖ ⊕ Cₖ.
/// - CBC decryption: Pₖ = D(Xₖ) ⊕ Xₖ₋₁, X₋₁ = IV. With IV = 0 this gives D(Xₖ) = Pₖ ⊕ Xₖ₋₁.
enum AESBlocks {
    static let blockSize = 16

    /// E(key, Yₖ) for every block Yₖ of `blocks` (a non-empty multiple of 16 bytes).
    static func encrypt(_ blocks: [UInt8], key: SymmetricKey) -> [UInt8] {
        precondition(!blocks.isEmpty && blocks.count % blockSize == 0, "whole AES blocks")
        var chained = Array(blocks[blockSize...])
        chained.append(contentsOf: repeatElement(0, count: blockSize))
        // Keys are always 32 bytes and the IV 16 here (checked where NVSKeys are made), so these cannot fail.
        let iv = try! AES._CFB.IV(ivBytes: blocks[0..<blockSize])
        var out = Array(try! AES._CFB.decrypt(chained, using: key, iv: iv))
        for i in out.indices { out[i] ^= chained[i] }
        return out
    }

    /// D(key, Xₖ) for every block Xₖ of `blocks` (a non-empty multiple of 16 bytes).
    static func decrypt(_ blocks: [UInt8], key: SymmetricKey) -> [UInt8] {
        precondition(!blocks.isEmpty && blocks.count % blockSize == 0, "whole AES blocks")
        let iv = try! AES._CBC.IV(ivBytes: [UInt8](repeating: 0, count: blockSize))
        var out = Array(try! AES._CBC.decrypt(blocks, using: key, iv: iv, noPadding: true))
        for i in blockSize..<out.count { out[i] ^= blocks[i - blockSize] }
        return out
    }
}
