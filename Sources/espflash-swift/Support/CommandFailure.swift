import ArgumentParser
import ImageFormats
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exit codes of CLI.md; 64 comes from the argument parser itself.
enum ExitStatus {
    static let operationFailed: Int32 = 1
    static let badInput: Int32 = 2
    static let usage: Int32 = 64
    static let ioError: Int32 = 74
}

/// An error the CLI reports and exits on: one `error:` line, an optional `help:` line, and an exit code.
struct CommandFailure: Error {
    var exitCode: Int32
    var message: String
    var help: String?

    static func io(_ message: String, help: String? = nil) -> CommandFailure {
        CommandFailure(exitCode: ExitStatus.ioError, message: message, help: help)
    }

    static func usage(_ message: String, help: String? = nil) -> CommandFailure {
        CommandFailure(exitCode: ExitStatus.usage, message: message, help: help)
    }

    /// A format error in `file`, rendered as `FILE:LINE: field 'X': message` (or `FILE: byte 0x..:`).
    static func input(_ error: FormatError, file: String) -> CommandFailure {
        CommandFailure(exitCode: ExitStatus.badInput, message: located(error.message, error.location, file: file), help: error.help)
    }

    static func located(_ message: String, _ location: SourceLocation, file: String) -> String {
        var prefix = file
        if let line = location.line { prefix += ":\(line)" }
        prefix += ": "
        if location.line == nil, let offset = location.byteOffset { prefix += "at byte 0x\(String(offset, radix: 16)): " }
        if let field = location.field { prefix += "field '\(field)': " }
        return prefix + message
    }
}

enum Console {
    /// The words the command line took from `@FILE`s (set once, before the command runs).
    nonisolated(unsafe) static var argumentOrigins: [ArgumentOrigin] = []

    static func error(_ text: String) { write(2, "error: " + locatedInArgumentFile(text) + "\n") }

    /// `text` prefixed with `FILE:LINE: ` when it names a word that came from an `@FILE` (the first such token of
    /// the message, its subject): the expansion splices the file's words into the command line, and without this an
    /// error about `0xZZ` or `app.bin` would not say which line of flash_args holds it.
    static func locatedInArgumentFile(_ text: String) -> String {
        guard !argumentOrigins.isEmpty else { return text }
        let tokens = text.split { " '\"`,;()[]".contains($0) }.map { String($0.hasSuffix(":") ? $0.dropLast() : $0) }
        guard let origin = tokens.lazy.compactMap({ token in argumentOrigins.last { $0.word == token } }).first else { return text }
        let place = "\(origin.file):\(origin.line)"
        return text.hasPrefix(place) ? text : "\(place): " + text
    }
    static func help(_ text: String) { write(2, "help: " + text + "\n") }
    static func warning(_ text: String) { write(2, "warning: " + text + "\n") }

    static func warnings(_ list: [FormatWarning], file: String) {
        for w in list { warning(CommandFailure.located(w.message, w.location, file: file)) }
    }

    static func out(_ text: String) { write(1, text) }
    static func out(_ bytes: [UInt8]) { write(1, bytes) }

    /// Plain write(2) on the descriptor: no buffering to flush on exit, and no Foundation to load at start-up.
    static func write(_ fd: Int32, _ text: String) { write(fd, Array(text.utf8)) }

    static func write(_ fd: Int32, _ bytes: [UInt8]) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { buffer in
                #if canImport(Glibc)
                Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
                #else
                Darwin.write(fd, buffer.baseAddress! + done, buffer.count - done)
                #endif
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            done += n
        }
    }
}

extension ParsableCommand {
    /// Runs `body`, turning every failure into its `error:` line and exit code; no stack traces reach the user.
    func reportingFailures(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as CommandFailure {
            Console.error(failure.message)
            if let help = failure.help { Console.help(help) }
            throw ExitCode(failure.exitCode)
        } catch let error as ExitCode {
            throw error
        } catch let error as FormatError {
            Console.error(error.message)
            if let help = error.help { Console.help(help) }
            throw ExitCode(ExitStatus.badInput)
        } catch {
            Console.error("\(error)")
            throw ExitCode(ExitStatus.operationFailed)
        }
    }
}
