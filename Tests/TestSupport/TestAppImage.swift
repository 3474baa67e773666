import ImageFormats

/// A small valid application image for a chip with an `esp_app_desc_t`, so that the emulated boot model starts it
/// and the emulated AT firmware reports its version (the vectors' helloworld images have no app description): the
/// stand-in `AppImage` writes, with the descriptor fields a test names.
public enum TestAppImage {
    public static func build(chip: Chip, version: String, idfVersion: String, project: String = "esp-at",
                             date: String = "May 20 2022", time: String = "03:12:44") -> [UInt8] {
        var options = AppImage.Options(chip: chip)
        options.projectName = project
        options.version = version
        options.idfVersion = idfVersion
        options.compileDate = date
        options.compileTime = time
        options.codeSize = 64
        do { return try AppImage.make(options) } catch { fatalError("test app image for \(chip): \(error.message)") }
    }
}
