#if canImport(Glibc)
import Glibc
#endif

extension PortAddress {
    /// Opens the port. A `virtual://` port gets a fresh emulated chip whose flash is loaded from (and, with
    /// `InProcessTransport.save()`, written back to) the file named in the address.
    public func open(baudRate: Int = 115_200, faults: FaultPlan = FaultPlan()) throws(TransportError) -> any Transport {
        switch self {
        case .serial(let path):
            return try SerialPortTransport(path: path, baudRate: baudRate)
        case .socket(let host, let port):
            return try TCPTransport(host: host, port: port)
        case .rfc2217(let host, let port):
            return try RFC2217Transport(host: host, port: port, baudRate: baudRate)
        case .virtual(let chip, let file, let size):
            guard let profile = RomProfile.profile(for: chip) else { throw TransportError(.open, "virtual://\(chip.rawValue): the emulator does not play this chip") }
            var contents: [UInt8]?
            if let file, access(file, F_OK) == 0 {
                guard let bytes = Self.readFile(file) else { throw TransportError(.open, "cannot read \(file): \(errnoText())") }
                contents = bytes
            }
            let device = EmulatedDevice(profile: profile, flashSize: size, flashContents: contents)
            let transport = InProcessTransport(session: EmulatorSession(device: device, faults: faults), portName: description)
            transport.flashFile = file
            return transport
        }
    }

    public var description: String {
        switch self {
        case .serial(let path): path
        case .socket(let host, let port): "socket://\(host):\(port)"
        case .rfc2217(let host, let port): "rfc2217://\(host):\(port)"
        case .virtual(let chip, let file, let size):
            "virtual://\(chip.rawValue)" + (file == nil && size == 4 << 20 ? "" : "?" + ([file.map { "flash=\($0)" }, "size=\(size / 1024)K"].compactMap { $0 }.joined(separator: "&")))
        }
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n > 0 { bytes += chunk[0..<n] }
            if n < chunk.count { break }
        }
        return ferror(f) == 0 ? bytes : nil
    }
}

extension InProcessTransport {
    /// Writes the emulated flash back to the `flash=` file of its address (temp file + rename).
    public func save() throws(TransportError) {
        guard let file = flashFile else { return }
        let temp = file + ".tmp-\(getpid())"
        guard let f = fopen(temp, "wb") else { throw TransportError(.io, "cannot write \(file): \(errnoText())") }
        let contents = device.flash.contents
        let written = contents.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        let closed = fclose(f)
        guard written == contents.count, closed == 0, rename(temp, file) == 0 else {
            unlink(temp)
            throw TransportError(.io, "cannot write \(file): \(errnoText())")
        }
    }
}
