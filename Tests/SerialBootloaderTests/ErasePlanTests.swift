import Testing
@testable import SerialBootloader

/// The ROM's erase arithmetic (esp_rom_spiflash_erase_area) and the plan that places FLASH_BEGIN ranges by it.
@Suite struct ErasePlanTests {
    @Test(arguments: [
        (0..<16, 16, 0),        // one aligned block: the head, 16 sector erases
        (0..<32, 32, 0),        // two aligned blocks: head and tail, no block erase
        (0..<48, 32, 1),        // only the block strictly inside gets a block erase
        (15..<33, 2, 1),        // one sector either side of a block: 1 + block + 1
        (0..<1024, 32, 62),     // a whole 4 MB chip in one FLASH_BEGIN
        (5..<8, 3, 0), (3..<21, 18, 0),
    ] as [(Range<Int>, Int, Int)])
    func romEraseOperations(_ c: (Range<Int>, Int, Int)) {
        let ops = RomErase.operations(forSectors: c.0)
        #expect(ops.sectors == c.1 && ops.blocks == c.2, "\(c.0): \(ops)")
        #expect(ops.sectors + 16 * ops.blocks == c.0.count)
    }

    /// Sectors of a 4 MB factory image like scripts/bench-flash.sh's: bootloader at 0x1000, apps at 0x10000 and 0x210000.
    static let factoryBlank: [Bool] = (0..<1024).map { s in !((1...2).contains(s) || (16..<61).contains(s) || (528..<573).contains(s)) }

    static func cost(_ ranges: [(range: Range<Int>, blank: Bool)], dirty: Bool) -> Double {
        ranges.reduce(0) { total, r in
            let erase = TypicalFlashTimes.erase(sectors: r.range)
            if r.blank { return total + (dirty ? erase : 0) }
            return total + erase + Double(r.range.count * 16) * TypicalFlashTimes.pageProgram
        }
    }

    @Test func planCoversTheRegionAndNeverSendsADenseSectorAsBlank() {
        let ranges = ErasePlan.ranges(blank: Self.factoryBlank, firstSector: 0, minimumBlankRun: 1)
        #expect(ranges.first?.range.lowerBound == 0 && ranges.last?.range.upperBound == 1024)
        for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.range.upperBound == b.range.lowerBound) }
        for r in ranges where r.blank { #expect(r.range.allSatisfy { Self.factoryBlank[$0] }) }
    }

    @Test func planBeatsCuttingAtEveryBlankRun() {
        // The plan before: data and blank runs cut exactly where the content changes.
        var naive: [(range: Range<Int>, blank: Bool)] = []
        var s = 0
        while s < 1024 {
            var e = s
            while e < 1024, Self.factoryBlank[e] == Self.factoryBlank[s] { e += 1 }
            naive.append((s..<e, Self.factoryBlank[s]))
            s = e
        }
        let planned = ErasePlan.ranges(blank: Self.factoryBlank, firstSector: 0, minimumBlankRun: 1)
        #expect(Self.cost(planned, dirty: true) < Self.cost(naive, dirty: true) - 0.5)
        #expect(Self.cost(planned, dirty: false) < Self.cost(naive, dirty: false) - 0.5)
        // Within 2% of the best possible plan for a chip full of old data: every cut tried.
        let best = Self.bestDirtyCost(Self.factoryBlank)
        #expect(Self.cost(planned, dirty: true) <= best * 1.02, "\(Self.cost(planned, dirty: true)) vs \(best)")
    }

    /// The least erase and programming time over every way of cutting the sectors into ranges (old data everywhere).
    static func bestDirtyCost(_ blank: [Bool]) -> Double {
        let n = blank.count
        var best = [Double](repeating: .infinity, count: n + 1)
        best[0] = 0
        for e in 1...n {
            var allBlank = true
            for s in stride(from: e - 1, through: 0, by: -1) {
                allBlank = allBlank && blank[s]
                let erase = TypicalFlashTimes.erase(sectors: s..<e)
                let data = erase + Double((e - s) * 16) * TypicalFlashTimes.pageProgram
                best[e] = min(best[e], best[s] + (allBlank ? min(erase, data) : data))
            }
        }
        return best[n]
    }
}
