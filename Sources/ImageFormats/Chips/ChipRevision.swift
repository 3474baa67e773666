/// A chip's silicon revision, as esptool prints it (`v3.0`) and image headers store it (major × 100 + minor).
public struct ChipRevision: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// From the header form: 301 is v3.1.
    public init(full: Int) { self.init(major: full / 100, minor: full % 100) }

    /// major × 100 + minor (`get_chip_revision`).
    public var full: Int { major * 100 + minor }

    public var description: String { "v\(major).\(minor)" }

    public static func < (a: ChipRevision, b: ChipRevision) -> Bool { a.full < b.full }
}
