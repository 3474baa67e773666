import ImageFormats

/// The project's seeded generator with the helpers tests draw random inputs with, so every random test case can
/// be reproduced from its seed.
public struct SplitMix64: RandomNumberGenerator {
    private var core: SeededGenerator
    public init(seed: UInt64) { core = SeededGenerator(seed: seed) }

    public mutating func next() -> UInt64 { core.next() }

    /// 0..<bound (plain modulo: the tiny bias does not matter for test inputs, and keeps old seeds' cases).
    public mutating func next(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    public mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }

    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](); out.reserveCapacity(count + 8)
        while out.count < count { withUnsafeBytes(of: next()) { out += $0 } }
        return Array(out.prefix(count))
    }

    public mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}
