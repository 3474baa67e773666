import Foundation
import TestSupport
import Testing

/// `emulate --fault` seen from esptool, the reference client: faults do what they say, and a seed repeats a run.
@Suite(.enabled(if: ToolEnvironment.available("esptool")))
struct EmulatorFaultCLITests {
    func esptool(_ port: String, _ args: [String]) throws -> (code: Int32, output: String) {
        let esptool = try #require(ToolEnvironment.esptool, "esptool missing: run scripts/python-env.sh")
        let ran = try runTool(esptool, ["-p", port, "--no-stub", "--before", "no-reset", "--after", "no-reset", "--connect-attempts", "1"] + args,
                              mergingStderr: true)
        return (ran.status, ran.stdout)
    }

    @Test func disconnectAfterBreaksOneSessionAndKeepsTheFlash() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir + "/app.bin"
        let data = EsptoolConformanceTests.data(200_000, seed: 9)
        try data.write(to: URL(fileURLWithPath: file))
        // Connecting and reading the flash ID takes about 80 frames; 200 KB of 1 KB blocks take 200 more.
        let (emulator, port) = try BackgroundProcess.emulator(chip: "esp32c3", flashFile: dir + "/flash.bin", extra: ["--fault", "disconnect-after=150"])
        let broken = try esptool(port, ["write-flash", "0x10000", file])
        #expect(broken.code != 0, "\(broken.output)")
        #expect(broken.output.contains("disconnected") || broken.output.contains("closed"), "\(broken.output)")
        // The next connection gets a fresh count: a short command goes through.
        let id = try esptool(port, ["flash-id"])
        #expect(id.code == 0, "\(id.output)")
        _ = emulator.stop()
        // What was written before the line dropped is still in flash.
        let flash = try Data(contentsOf: URL(fileURLWithPath: dir + "/flash.bin"))
        #expect(flash[0x10000..<0x14000] == data[0..<0x4000])
    }

    @Test func corruptReceiveMakesEsptoolFailChecksumsAndSeedsRepeat() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir + "/app.bin"
        try EsptoolConformanceTests.data(20_000, seed: 5).write(to: URL(fileURLWithPath: file))
        var logs: [[String]] = []
        for run in 0..<2 {
            let log = dir + "/frames-\(run).log"
            let (emulator, port) = try BackgroundProcess.emulator(chip: "esp32", flashFile: dir + "/flash-\(run).bin",
                                                                  extra: ["--fault", "corrupt-rx=0.3", "--fault", "seed=11", "--log", log])
            let result = try esptool(port, ["write-flash", "0x10000", file])
            _ = emulator.stop()
            // With 30% of frames damaged esptool cannot complete (its 3 block retries run out, or sync fails).
            #expect(result.code != 0, "\(result.output)")
            let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            #expect(lines.contains { $0.contains("fault: corrupt-rx") })
            logs.append(lines.map { String($0.drop { $0 != " " }) }.filter { $0.contains("fault:") })
        }
        // The same seed flips the same bits of the same frames, as far as both runs got.
        let common = min(logs[0].count, logs[1].count)
        #expect(common > 0)
        #expect(Array(logs[0].prefix(common)) == Array(logs[1].prefix(common)))
    }
}
