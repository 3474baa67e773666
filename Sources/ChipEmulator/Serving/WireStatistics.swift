/// What crossed the wire between a host and the emulated chip: the cost of a flashing run.
public struct WireStatistics: Sendable, Equatable {
    public var bytesIn = 0
    public var bytesOut = 0
    public var framesIn = 0
    public var framesOut = 0
    public var connections = 0
    /// Frames dropped for being longer than any request (`EmulatorSession.maximumFrameSize`).
    public var oversizeFrames = 0
    /// Requests per opcode name.
    public var requests: [String: Int] = [:]

    public init() {}

    public var summary: String {
        var lines = ["wire: \(bytesIn) bytes in (\(framesIn) frames), \(bytesOut) bytes out (\(framesOut) frames), \(connections) connection(s)"
                     + (oversizeFrames > 0 ? ", \(oversizeFrames) oversize frame(s) dropped" : "")]
        for (name, count) in requests.sorted(by: { $0.key < $1.key }) { lines.append("  \(name): \(count)") }
        return lines.joined(separator: "\n")
    }
}
