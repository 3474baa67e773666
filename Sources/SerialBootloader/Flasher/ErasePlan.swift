/// How the ROM loader erases the range a FLASH_BEGIN names: `esp_rom_spiflash_erase_area` (ROM `SPIEraseArea`,
/// reproduced by ESP-IDF's `spi_flash_rom_patch.c` and the OpenOCD flasher stub; esptool's ESP8266 erase-size
/// workaround assumes the same head arithmetic). Sectors up to the next 64 KB boundary first (all 16 of the first
/// block when the range starts on a boundary), then 64 KB block erases while more than 16 sectors remain, then
/// the rest sector by sector. So a range only gets block erases for the blocks strictly inside it.
public enum RomErase {
    public static let sectorsPerBlock = 16

    /// The sector and block erases for the sectors `range` (absolute sector numbers).
    public static func operations(forSectors range: Range<Int>) -> (sectors: Int, blocks: Int) {
        let total = range.count
        guard total > 0 else { return (0, 0) }
        let head = min(sectorsPerBlock - range.lowerBound % sectorsPerBlock, total)
        let rest = total - head
        let blocks = rest > sectorsPerBlock ? (rest - 1) / sectorsPerBlock : 0
        return (head + rest - blocks * sectorsPerBlock, blocks)
    }
}

/// Datasheet typicals of a common 4 MB SPI NOR chip (Winbond W25Q32: 4 KB sector erase 45 ms, 64 KB block erase
/// 150 ms, 256-byte page program 0.7 ms): the emulator's `--flash-timing typical`, and the weights of the erase plan.
public enum TypicalFlashTimes {
    public static let sectorErase = 0.045
    public static let blockErase = 0.150
    public static let pageProgram = 0.0007
    public static let pageSize = 256

    /// Seconds the ROM spends erasing the sectors `range` (`RomErase`).
    public static func erase(sectors range: Range<Int>) -> Double {
        let ops = RomErase.operations(forSectors: range)
        return Double(ops.sectors) * sectorErase + Double(ops.blocks) * blockErase
    }
}

/// Cuts a region into the ranges it is written in: data ranges (one FLASH_BEGIN each, which erases the range, then
/// the compressed data) and blank ranges (whole 0xFF sectors: never sent, erased with one data-less FLASH_BEGIN
/// only where the chip does not already read 0xFF). Because the ROM block-erases only the blocks strictly inside a
/// FLASH_BEGIN's range (`RomErase`), where the ranges start and end decides how much is erased 4 KB at a time; the
/// plan picks the cuts with the least erase and programming time (typical times; a blank sector inside a data
/// range costs its programming). Blank ranges count at a fifth of their erase time: on a blank chip they cost
/// nothing, on a chip full of old data all of it; a fifth keeps blank chips at their best and old-data chips
/// within a few percent of theirs.
enum ErasePlan {
    static let blankWeight = 0.2
    /// A FLASH_BEGIN and the MD5 check before it: a round trip or two.
    static let rangeOverhead = 0.003

    /// `blank[i]` says whether sector `i` of the region is all 0xFF; `firstSector` is the region's absolute first
    /// sector (the erase arithmetic depends on 64 KB alignment). Returns the ranges in sector numbers of the region.
    static func ranges(blank: [Bool], firstSector: Int, minimumBlankRun: Int) -> [(range: Range<Int>, blank: Bool)] {
        let n = blank.count
        guard n > 0 else { return [] }
        let programSector = Double(PlannedRegion.sectorSize / TypicalFlashTimes.pageSize) * TypicalFlashTimes.pageProgram
        // Cut candidates: where blank and data alternate, and at 64 KB boundaries and one sector either side of them
        // (where the ROM's head and tail arithmetic changes). The best plan over all cuts uses only these.
        var cuts: Set<Int> = [0, n]
        for i in 1..<n where blank[i] != blank[i - 1] { cuts.insert(i) }
        var boundary = (RomErase.sectorsPerBlock - firstSector % RomErase.sectorsPerBlock) % RomErase.sectorsPerBlock
        while boundary <= n + 1 {
            for d in -1...1 where boundary + d > 0 && boundary + d < n { cuts.insert(boundary + d) }
            boundary += RomErase.sectorsPerBlock
        }
        let points = cuts.sorted()
        var blankBefore = [0]  // blank sectors before each sector
        for b in blank { blankBefore.append(blankBefore.last! + (b ? 1 : 0)) }
        var best = [Double](repeating: .infinity, count: points.count)
        var choice = [(from: Int, blank: Bool)](repeating: (0, false), count: points.count)
        best[0] = 0
        for j in 1..<points.count {
            let e = points[j]
            for i in 0..<j where best[i].isFinite {
                let s = points[i]
                let erase = TypicalFlashTimes.erase(sectors: (firstSector + s)..<(firstSector + e))
                let data = best[i] + erase + Double(e - s) * programSector + rangeOverhead
                if data < best[j] { (best[j], choice[j]) = (data, (i, false)) }
                let allBlank = blankBefore[e] - blankBefore[s] == e - s
                if allBlank, e - s >= minimumBlankRun {
                    let skip = best[i] + blankWeight * erase + rangeOverhead
                    if skip < best[j] { (best[j], choice[j]) = (skip, (i, true)) }
                }
            }
        }
        var out: [(range: Range<Int>, blank: Bool)] = []
        var j = points.count - 1
        while j > 0 {
            let (i, isBlank) = choice[j]
            out.append((points[i]..<points[j], isBlank))
            j = i
        }
        return out.reversed()
    }
}
