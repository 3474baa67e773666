/// Yield per stage from records: how many modules entered each stage, how many got through it. A record entered
/// the stages it has times for, and the stage it stopped in.
public struct StageYield: Sendable, Equatable {
    public var stage: StationStage
    public var entered: Int
    public var passed: Int
    public var failed: Int { entered - passed }
    /// passed / entered (1 when none entered).
    public var fraction: Double { entered == 0 ? 1 : Double(passed) / Double(entered) }

    public init(stage: StationStage, entered: Int, passed: Int) {
        self.stage = stage
        self.entered = entered
        self.passed = passed
    }

    /// One entry per pipeline stage that any record entered, in order.
    public static func compute(_ records: [ModuleRecord]) -> [StageYield] {
        StationStage.pipeline.compactMap { stage in
            let entered = records.filter { $0.entered(stage) }.count
            guard entered > 0 else { return nil }
            let failed = records.filter { $0.result == .failed && $0.stage == stage }.count
            return StageYield(stage: stage, entered: entered, passed: entered - failed)
        }
    }
}

extension ModuleRecord {
    public func entered(_ stage: StationStage) -> Bool {
        self.stage == stage || stageTimes.contains { $0.stage == stage }
    }
}
