import ArgumentParser

/// `image ...`: work on firmware images as a whole.
struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Make firmware images, or put a new file into a partition of a whole flash image.",
        discussion: """
            Examples:
              espflash-swift image make-app --chip esp32 --project-name esp-at --version v2.4.0.0 -o app.bin
              espflash-swift image replace factory_WROOM-32.bin ble_data ble_data.bin
            """,
        subcommands: [ImageMakeAppCommand.self, ImageCommand.Replace.self]
    )
}
