import Foundation
import TestSupport
import Testing

/// An AT client nobody here wrote, Adafruit's ESP_ATcontrol (PyPI adafruit-circuitpython-esp-atcontrol 0.11.7,
/// installed by scripts/python-env.sh), drives the emulated AT firmware through a pyserial port on the emulator's
/// pty: sync, its soft reset (AT+RST, then waiting for `ready`), echo off, and the version it parses from AT+GMR.
@Suite struct ATPythonClientTests {
    static let script = """
        import json, sys, serial
        from adafruit_espatcontrol.adafruit_espatcontrol import ESP_ATcontrol
        uart = serial.Serial(sys.argv[1], 115200, timeout=0.05)
        esp = ESP_ATcontrol(uart, 115200)
        out = {"sync": esp.sync(), "reset": esp.soft_reset()}
        esp.echo(False)
        out["after_echo_off"] = esp.at_response("AT", timeout=1).decode()
        out["version"] = esp.get_version()
        out["lines"] = esp._versionstrings
        print(json.dumps(out))
        """

    @Test func espATcontrolResetEchoVersion() throws {
        guard let python = try ToolEnvironment.executable("python") else { return }
        let check = try runTool(python, ["-c", "import adafruit_espatcontrol.adafruit_espatcontrol, serial"], mergingStderr: true)
        guard check.status == 0 else {
            // Missing from the venv: a failure when tools are required (scripts/test.sh), else no comparison.
            #expect(!ToolEnvironment.required, "ESPFLASH_REQUIRE_TOOLS=1 but adafruit-circuitpython-esp-atcontrol is not importable in the venv; run scripts/python-env.sh: \(check.stdout)")
            return
        }
        let m = try ATCLITests.flashedModule("esp32")
        defer { try? FileManager.default.removeItem(atPath: m.dir) }
        let portFile = m.dir + "/at-port.txt"
        let emulator = try BackgroundProcess(CLI.binary, ["emulate", "--chip", "esp32", "--flash", m.flash, "--at-pty", "--at-port-file", portFile])
        let pty = try BackgroundProcess.waitForFile(portFile, while: emulator)
        try Self.script.write(toFile: m.dir + "/client.py", atomically: true, encoding: .utf8)
        let run = try runTool(python, [m.dir + "/client.py", pty], timeout: 60)
        let log = emulator.stop()
        #expect(run.status == 0, "\(run.stdout) \(run.stderr) \(log)")
        let line = try #require(run.stdout.split(separator: "\n").last)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(result["sync"] as? Bool == true)
        #expect(result["reset"] as? Bool == true)
        #expect(result["after_echo_off"] as? String == "\r\n", "no echo of AT after ATE0")
        #expect(result["version"] as? String == "AT version:\(ATCLITests.version)(\(try Self.commit()) - ESP32 - May 20 2022 03:12:44)")
        let lines = try #require(result["lines"] as? [String])
        #expect(lines.contains("SDK version:v4.3.2-553-g588436db47"))
        #expect(lines.contains("Bin version:\(ATCLITests.version)(WROOM-32)"))
        #expect(log.contains("AT wire:"), "\(log)")
    }

    /// The first 7 hex digits of the stand-in app's ELF SHA-256, as AT+GMR prints them.
    static func commit() throws -> String {
        let image = TestAppImage.build(chip: .esp32, version: ATCLITests.version, idfVersion: "v4.3.2-553-g588436db47")
        let description = Array(image[(24 + 8)..<(24 + 8 + 256)])
        return description[144..<148].map { String(format: "%02x", $0) }.joined().prefix(7).description
    }
}
