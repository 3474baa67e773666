import Foundation

/// The package root, found from this file's path (Tests/TestSupport/ToolEnvironment.swift).
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The original Python tools (esptool 5.6.0, esp-idf-nvs-partition-gen 0.3.0, …) the differential and conformance
/// tests compare against, from the virtualenv scripts/python-env.sh makes. `ESPFLASH_VENV` names it
/// (scripts/test.sh sets it); without it `.build/venv` is used when present. With `ESPFLASH_REQUIRE_TOOLS=1` a
/// missing tool is a test failure, otherwise the test skips its comparison.
public enum ToolEnvironment {
    static let environment = ProcessInfo.processInfo.environment

    /// When set, a missing tool fails the test instead of skipping it.
    public static let required = environment["ESPFLASH_REQUIRE_TOOLS"] == "1"

    public static let venv: String? = {
        let candidates = [environment["ESPFLASH_VENV"], packageRoot.appendingPathComponent(".build/venv").path].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0 + "/bin/python") }
    }()

    /// Path of `bin/NAME` in the virtualenv, or nil.
    public static func tool(_ name: String) -> String? {
        guard let venv else { return nil }
        let path = venv + "/bin/" + name
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    public static var esptool: String? { tool("esptool") }

    /// Path of `bin/NAME` in the virtualenv; nil (skip the comparison) when it is missing, unless tools are
    /// required: then it throws, which fails the test. (This target does not import Testing: a plain
    /// `swift build`, e.g. the static release build of scripts/bench-partition.sh, builds it too.)
    public static func executable(_ name: String) throws -> String? {
        if let path = tool(name) { return path }
        if required { throw MissingTool(name: name) }
        return nil
    }

    public struct MissingTool: Error, CustomStringConvertible {
        public var name: String
        public var description: String {
            "ESPFLASH_REQUIRE_TOOLS=1 but \(name) is not in the tools virtualenv (ESPFLASH_VENV=\(venv ?? "unset")); run scripts/python-env.sh"
        }
    }

    /// Run the test if the tool is there, or if tools are required (then the test fails on the missing tool).
    public static func available(_ name: String) -> Bool { tool(name) != nil || required }
}
