import ImageFormats

extension Bootloader {
    /// Switches the line to `baud` after connecting and confirms the chip answers there. Returns false (and sends
    /// nothing) when the port cannot change its rate, as with raw TCP, or when the ROM must stay at 115200 (an
    /// ESP32-C2 in secure download mode). The value sent is what makes the ROM's divider right for its crystal
    /// (`BaudRateScaling`); a chip that does not answer at the new rate is brought back to the old one and the
    /// change fails with `.unusable`: a wrong divisor garbles the link rather than slowing it.
    @discardableResult
    public func changeBaudRate(_ baud: Int) throws(LoaderError) -> Bool {
        let transport = connection.transport
        requestedBaudRate = baud
        guard transport.canChangeBaudRate, baud != transport.baudRate else { return false }
        guard let sent = try romBaudValue(for: baud) else { return false }
        let old = transport.baudRate
        // The reply comes at the old rate; esptool does not check its status.
        try connection.send(.changeBaudRate(newBaudRate: UInt32(sent), oldBaudRate: 0), checkStatus: false)
        try setLineRate(baud)
        do {
            try connection.sync(tries: 2)
        } catch where !error.isTransportFailure && error.kind != .cancelled {
            try recoverOldRate(old)
            throw LoaderError(.unusable, command: "CHANGE_BAUDRATE",
                              "the chip does not answer at \(baud) baud (sent \(sent) to its ROM); it is back at \(old) baud")
        }
        return true
    }

    /// The rate CHANGE_BAUDRATE carries for `baud` (esptool's per-chip `change_baud`); nil: leave the rate alone.
    func romBaudValue(for baud: Int) throws(LoaderError) -> Int? {
        switch loaderFacts.baudRateScaling {
        case .none:
            return baud
        case .esp32ROMClock:
            let calibration = try connection.readRegister(ESP32Registers.rtcCalibration) >> 7 & 0x1FF_FFFF
            let efuseWord4 = try connection.readRegister(ESP32Registers.efuseBlock0Word4) & 0xFF
            let romFrequency = Int(calibration) * 15625 * Int(efuseWord4) / 40
            let validFrequency = romFrequency > 33_000_000 ? 40_000_000 : 26_000_000
            return romFrequency > 0 ? baud * romFrequency / validFrequency : baud
        case .romAssumes40MHz:
            if secureDownloadMode { return nil }  // esptool: "not supported in secure download mode" (ESPTOOL-1231)
            return try readCrystalMHz() == 26 ? baud * 40 / 26 : baud
        case .romExpectedCrystal(let register):
            if secureDownloadMode { return baud }  // registers unreadable: assume the crystal the ROM expects
            let expected = Int(try connection.readRegister(register) >> 24 & 0x7F)
            let detected = try readCrystalMHz()
            if detected == 48, expected == 40 { return baud * 40 / 48 }
            if detected == 40, expected == 48 { return baud * 48 / 40 }
            return baud
        }
    }

    private func setLineRate(_ baud: Int) throws(LoaderError) {
        do { try connection.transport.setBaudRate(baud) } catch {
            throw LoaderError(.transport(error.kind), command: "CHANGE_BAUDRATE", error.message)
        }
        Clock.sleep(seconds: timeouts.settle)
        connection.resetReceiver()
    }

    /// After a failed change: the line back at `old`; if the chip did not switch it answers there, otherwise only a
    /// reset brings its ROM back to 115200.
    private func recoverOldRate(_ old: Int) throws(LoaderError) {
        try setLineRate(old)
        do { try connection.sync(tries: 2) } catch where !error.isTransportFailure && error.kind != .cancelled {
            try setLineRate(Self.romBaudRate)
            try Self.establishSync(connection, options: options, usbSerialJTAG: usesUSBSerialJTAG)
            try disableWatchdogs()
            if attached { try attachFlash(softReset: false) }
            if let size = configuredFlashSize { try setFlashSize(size) }
        }
    }
}
