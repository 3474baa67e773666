import ArgumentParser

/// `image ...`: work on firmware images as a whole.
struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Make firmware images.",
        discussion: """
            Examples:
              espflash-swift image make-app --chip esp32 --project-name esp-at --version v2.4.0.0 -o app.bin
            """,
        subcommands: [ImageMakeAppCommand.self]
    )
}
