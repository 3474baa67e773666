import Foundation
import Testing

/// The malformed-input corpus (MalformedCorpus.swift, CorpusCommands.swift, Fixtures/malformed): at least 100 cases
/// for every command that reads a file, each checked for its exit code, a message naming the file and the place,
/// no output written or changed, nothing left behind, no crash. `ESPFLASH_CORPUS_REPORT=FILE` writes every case's
/// outcome to FILE instead of failing (to review a changed description).
@Suite struct MalformedCorpusTests {
    static let commands = CorpusCommands.all.map(\.name)

    /// At least 100 cases for every command that reads a file (a command may have several descriptions).
    @Test func everyCommandHasAHundredCases() throws {
        var counts: [String: Int] = [:]
        for command in CorpusCommands.all { counts[command.command, default: 0] += try command.cases().count }
        for (command, count) in counts.sorted(by: { $0.key < $1.key }) { #expect(count >= 100, "\(command): \(count) cases") }
        #expect(counts.count >= 17, "\(counts.keys.sorted())")
    }

    @Test(arguments: commands)
    func everyCaseIsRefusedCleanly(_ name: String) throws {
        let command = try #require(CorpusCommands.all.first { $0.name == name })
        let cases = try command.cases()
        var problems: [String] = []
        for c in cases { problems += try CorpusRunner.run(c) }
        if let report = ProcessInfo.processInfo.environment["ESPFLASH_CORPUS_REPORT"] {
            let text = problems.joined(separator: "\n") + "\n"
            let handle = FileHandle(forWritingAtPath: report) ?? { FileManager.default.createFile(atPath: report, contents: nil); return FileHandle(forWritingAtPath: report)! }()
            handle.seekToEndOfFile()
            handle.write(Data("## \(name): \(cases.count) cases, \(problems.count) problems\n".utf8) + Data(text.utf8))
            handle.closeFile()
            return
        }
        #expect(problems.isEmpty, Comment(rawValue: "\(problems.count) of \(cases.count) cases broke a rule:\n" + problems.prefix(20).joined(separator: "\n")))
    }
}
