import ArgumentParser
import ImageFormats

/// A number on the command line: decimal, `0x` hex, or with a `K`/`M`/`KB`/`MB` suffix.
struct FlashNumber: ExpressibleByArgument, Sendable {
    var value: Int

    init?(argument: String) {
        guard let v = IntegerText.sizeOrAddress(argument) else { return nil }
        value = v
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

extension SecureBootVersion: ExpressibleByArgument {}

/// `--chip esp32c3`: the chip table's enum, spelled by its raw value.
extension Chip: ExpressibleByArgument {}
