import SerialBootloader

/// How long the emulated flash chip takes to erase and program.
public enum FlashTiming: String, Sendable, CaseIterable {
    /// No delay at all: tests run as fast as the host can go.
    case none
    /// Datasheet typicals of a common 4 MB SPI NOR chip (`TypicalFlashTimes`: 4 KB sector erase 45 ms, 64 KB block
    /// erase 150 ms, 256-byte page program 0.7 ms), with FLASH_BEGIN's erase split into sector and block erases the
    /// way the ROM splits it (`RomErase`: block erases only for the blocks strictly inside the range); and
    /// SPI_FLASH_MD5 at 2 MiB/s.
    case typical

    /// SPI_FLASH_MD5 reads and hashes at about 2 MiB/s (an assumption until measured on hardware).
    static let hashRate = 2.0 * 1024 * 1024

    /// Seconds SPI_FLASH_MD5 takes over `bytes`.
    func hashTime(bytes: Int) -> Double { self == .typical ? Double(bytes) / Self.hashRate : 0 }

    /// Seconds to erase the sectors `sectors`, as the ROM erases a FLASH_BEGIN range.
    func eraseTime(sectors: Range<Int>) -> Double {
        guard self == .typical, !sectors.isEmpty else { return 0 }
        return TypicalFlashTimes.erase(sectors: sectors)
    }

    /// Seconds to program `length` bytes starting at `offset` (every page touched costs one page program).
    func programTime(offset: Int, length: Int) -> Double {
        guard self == .typical, length > 0 else { return 0 }
        let pages = (offset + length - 1) / NORFlash.pageSize - offset / NORFlash.pageSize + 1
        return Double(pages) * TypicalFlashTimes.pageProgram
    }
}
