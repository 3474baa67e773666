import ATCommands
import ImageFormats
import SerialBootloader

/// Why a module stopped short of `done`: the stage, a typed reason (snake_case, as `--json` prints it), a message.
struct StageFailure: Error {
    var stage: StationStage
    var reason: String
    var message: String
}

/// What stops a module: its own failure (recorded), or the store failing (the port cannot go on).
enum ModuleStop: Error {
    case failed(StageFailure)
    case store(StoreError)
}

/// How a module attempt ended, for its port.
enum ModuleEnd {
    /// Its record is in the database.
    case recorded(ModuleRecord)
    /// The database went away during the module (which stopped at that point; its record says so) or when its
    /// record was written (the record is in the journal): the port waits for the database.
    case databaseLost(ModuleRecord, StoreError)
    /// The database was away before the module was touched: nothing to record; the port waits, then starts over.
    case notStarted(StoreError)
}

/// A job's session handed between the job threads of one module, one at a time.
final class SessionBox: @unchecked Sendable {
    let session: DeviceSession
    init(_ session: DeviceSession) { self.session = session }
}

/// What is known of a module as it goes through the stages.
struct ModuleFacts {
    var info: DeviceInfo?
    var unit: Unit?
    var returning = false
    var files: [RecordFile] = []
    /// Names of the unit's own images (for the release policy).
    var unitFileNames: Set<String> = []
    var bytesSent = 0
}

/// One module at one port, from connecting to its record.
struct ModuleRun {
    let context: StationContext
    let port: StationPort
    let number: Int

    private var plan: StationPlan { context.plan }
    private func emit(_ event: StationEvent) { context.onEvent(event) }

    /// Runs the module and writes its record (or keeps it in the journal while the database is away); throws only
    /// when the record can be neither written nor kept.
    func run() async throws(StoreError) -> ModuleEnd {
        let clock = StageClock()
        var attempt = Attempt(attemptID: newAttemptID(), stationID: context.stationID, operatorName: context.operatorName,
                              recipeHash: plan.recipeHash, port: port.name, startedAt: unixMilliseconds())
        do throws(StoreError) { try await context.store.track(attempt) } catch {
            guard error.kind == .unavailable, context.journal != nil else { throw error }
            return .notStarted(error)
        }
        emit(.moduleStarted(port: port.name, number: number, attemptID: attempt.attemptID))
        var facts = ModuleFacts()
        var box: SessionBox?
        var stop: ModuleStop?
        do throws(ModuleStop) {
            try await stages(clock: clock, attempt: &attempt, facts: &facts, box: &box)
        } catch {
            stop = error
        }
        if let box {
            facts.bytesSent = box.session.bytesSent
            box.session.close()
        }
        clock.stop()
        var record = ModuleRecord(attemptID: attempt.attemptID, stationID: context.stationID, operatorName: context.operatorName,
                                  recipeHash: plan.recipeHash, port: port.name, mac: facts.info?.macText, chip: facts.info?.chip.rawValue,
                                  revision: facts.info?.revision?.description, pool: facts.unit == nil ? nil : plan.pool?.name,
                                  unit: facts.unit?.id, result: .passed, stage: .done, startedAt: attempt.startedAt,
                                  finishedAt: unixMilliseconds(), stageTimes: clock.times, bytesSent: facts.bytesSent, retries: clock.retries,
                                  files: facts.files)
        var lost: StoreError?
        switch stop {
        case nil: break
        case .failed(let failure)?:
            record.result = .failed
            record.stage = failure.stage
            record.reason = failure.reason
            record.error = failure.message
        case .store(let error)?:
            lost = error
            record.result = .failed
            record.stage = clock.stage
            record.reason = error.kind == .unavailable ? "database_unavailable" : "store_failed"
            record.error = "the database failed, so the module was stopped before going on from stage \(clock.stage.rawValue): \(error.message)"
        }
        let release = record.result == .failed && record.unit != nil
            && context.releasePolicy.releases(record, unitFiles: facts.unitFileNames)
        let written: ModuleRecord
        do throws(StoreError) { written = try await context.store.finish(record, releaseUnit: release) } catch {
            guard error.kind == .unavailable, let journal = context.journal else { throw error }
            try await journal.keep(record, releaseUnit: release)
            emit(.recordKept(port: port.name, record: record, journal: journal.path))
            return .databaseLost(record, error)
        }
        emit(.recorded(port: port.name, record: written))
        if let lost {
            guard lost.kind == .unavailable, context.journal != nil else { throw lost }
            return .databaseLost(written, lost)
        }
        return .recorded(written)
    }

    private func enter(_ stage: StationStage, _ clock: StageClock, _ facts: ModuleFacts) {
        if clock.enter(stage) {
            emit(.stage(port: port.name, stage: stage, mac: facts.info?.macText, unit: facts.unit?.id))
        }
    }

    private func stages(clock: StageClock, attempt: inout Attempt, facts: inout ModuleFacts, box: inout SessionBox?) async throws(ModuleStop) {
        enter(.open, clock, facts)
        let session = try await connect(clock)
        box = session
        let info = session.session.info
        facts.info = info
        attempt.mac = info.macText
        attempt.chip = info.chip.rawValue
        attempt.revision = info.revision?.description
        enter(.check, clock, facts)
        try check(info)
        if let pool = plan.pool {
            enter(.allocate, clock, facts)
            attempt.stage = .allocate
            attempt.stageTimes = clock.times
            do throws(StoreError) {
                try await context.store.track(attempt)
                let allocation = try await context.store.allocate(AllocationRequest(pool: pool.name, mac: info.macText, stationID: context.stationID,
                                                                                    attemptID: attempt.attemptID, time: unixMilliseconds()))
                facts.unit = allocation.unit
                facts.returning = allocation.returning
                attempt.unit = allocation.unit.id
                attempt.pool = pool.name
            } catch {
                if error.kind == .poolExhausted {
                    context.poolExhausted()
                    throw .failed(StageFailure(stage: .allocate, reason: error.kind.rawValue, message: error.message))
                }
                throw .store(error)
            }
            emit(.stage(port: port.name, stage: .allocate, mac: info.macText, unit: facts.unit?.id))
        }
        enter(.build, clock, facts)
        let images: [FlashImage]
        do throws(RecipeError) { images = try plan.builder.images(for: facts.unit) } catch {
            throw .failed(StageFailure(stage: .build, reason: "build_failed", message: error.description))
        }
        facts.files = images.map { RecordFile(name: $0.name, address: $0.address, size: $0.data.count, md5: md5Hex($0.data), status: "pending") }
        facts.unitFileNames = Set(images.map(\.name).filter { name in plan.builder.regions.contains { name.hasPrefix($0.name + " (") } })
        enter(.write, clock, facts)
        attempt.stage = .write
        attempt.stageTimes = clock.times
        do throws(StoreError) { try await context.store.track(attempt) } catch { throw .store(error) }
        try await write(images, session: session, clock: clock, facts: &facts)
        enter(.reset, clock, facts)
        let reset = await DeviceJob.detached(cancellation: context.cancellation) { () -> JobFailure? in
            do throws(JobFailure) { try session.session.finish(.hardReset); return nil } catch { return error }
        }
        facts.bytesSent = session.session.bytesSent
        // A port that cannot be released properly (an emulated module whose flash file cannot be saved) fails the
        // module: what was written is lost.
        let released: JobFailure?
        do throws(JobFailure) { try session.session.closeChecked(); released = nil } catch { released = error }
        if let failure = reset ?? released {
            throw .failed(StageFailure(stage: .reset, reason: failure.reason.rawValue, message: failure.message))
        }
        if plan.recipe.test.at {
            enter(.test, clock, facts)
            attempt.stage = .test
            attempt.stageTimes = clock.times
            do throws(StoreError) { try await context.store.track(attempt) } catch { throw .store(error) }
            try await test(info: info, images: images, clock: clock)
        }
        clock.stop()
    }

    // MARK: - Stages

    private func connect(_ clock: StageClock) async throws(ModuleStop) -> SessionBox {
        var request = ConnectRequest(port: port.address, opener: context.opener)
        request.baudRate = plan.recipe.baudRate
        request.before = context.before
        let jobContext = jobContext(clock)
        let connectRequest = request
        var last: JobFailure?
        for attempt in 0...plan.recipe.retries.connect {
            if attempt > 0 {
                clock.addRetry()
                emit(.retry(port: port.name, stage: .connect, reason: last?.message ?? "connect failed"))
            }
            let result = await DeviceJob.detached(cancellation: context.cancellation) { () -> Result<SessionBox, JobFailure> in
                do throws(JobFailure) { return .success(SessionBox(try DeviceSession.connect(connectRequest, context: jobContext))) } catch { return .failure(error) }
            }
            switch result {
            case .success(let box): return box
            case .failure(let failure):
                last = failure
                if failure.reason == .cancelled || failure.reason == .portUnavailable && !context.isLine(port) { break }
            }
            if context.cancellation.isCancelled { break }
        }
        let failure = last!
        throw .failed(StageFailure(stage: failure.stage == .open ? .open : .connect, reason: failure.reason.rawValue, message: failure.message))
    }

    /// The recipe's chip and minimum revision; every common image's chip and revision (esptool's rules, merged
    /// images included).
    private func check(_ info: DeviceInfo) throws(ModuleStop) {
        let recipe = plan.recipe
        guard info.chip == recipe.chip else {
            throw .failed(StageFailure(stage: .check, reason: JobFailure.Reason.wrongChip.rawValue,
                                       message: "the module is an \(info.chip.displayName); the recipe is for \(recipe.chip.displayName)"))
        }
        if let minimum = recipe.minimumRevision {
            if let revision = info.revision {
                guard revision >= minimum else {
                    throw .failed(StageFailure(stage: .check, reason: "revision_too_low",
                                               message: "the chip is revision \(revision); the recipe needs \(minimum) or later"))
                }
            } else {
                emit(.note(port: port.name, message: "the revision of this \(info.chip.displayName) is not read; min_revision is not checked", isWarning: true))
            }
        }
        let mismatches = plan.commonImages.flatMap {
            ImageCompatibility.mismatches(in: $0.data, at: $0.address, name: $0.name, chip: info.chip, revision: info.revision)
        }
        if let first = mismatches.first {
            throw .failed(StageFailure(stage: .check, reason: JobFailure.Reason.incompatibleImage.rawValue,
                                       message: first.description + (mismatches.count > 1 ? " (and \(mismatches.count - 1) more)" : "")))
        }
    }

    private func write(_ images: [FlashImage], session: SessionBox, clock: StageClock, facts: inout ModuleFacts) async throws(ModuleStop) {
        clock.expect(bytes: images.reduce(0) { $0 + $1.data.count })
        let cancellation = context.cancellation
        var failure: JobFailure?
        for attempt in 0...plan.recipe.retries.write {
            if attempt > 0 {
                clock.addRetry()
                emit(.retry(port: port.name, stage: .write, reason: failure?.message ?? "write failed"))
            }
            let result = await DeviceJob.detached(cancellation: cancellation) { () -> Result<WriteResult, JobFailure> in
                do throws(JobFailure) { return .success(try session.session.write(images)) } catch { return .failure(error) }
            }
            switch result {
            case .success(let written):
                facts.files = written.regions.map(RecordFile.init)
                return
            case .failure(let error):
                failure = error
                if !error.regions.isEmpty { facts.files = error.regions.map(RecordFile.init) }
                // Retrying helps a link or a chip that misbehaved, not input the chip refuses or a stop.
                if [.cancelled, .invalidInput, .incompatibleImage].contains(error.reason) || cancellation.isCancelled {
                    throw .failed(stageFailure(error, inWrite: true))
                }
            }
        }
        throw .failed(stageFailure(failure!, inWrite: true))
    }

    private func stageFailure(_ failure: JobFailure, inWrite: Bool) -> StageFailure {
        StageFailure(stage: Self.stage(of: failure.stage, inWrite: inWrite), reason: failure.reason.rawValue, message: failure.message)
    }

    /// The station stage a job stage belongs to (the write job's own `check` is part of writing).
    static func stage(of job: JobStage, inWrite: Bool) -> StationStage {
        switch job {
        case .arguments, .check: inWrite ? .write : .check
        case .open: .open
        case .connect: .connect
        case .erase: .erase
        case .write, .read: .write
        case .verify: .verify
        case .finish: .reset
        }
    }

    /// The job's events as the station's: stage times, progress, retries.
    private func jobContext(_ clock: StageClock) -> JobContext {
        let portName = port.name
        let onEvent = context.onEvent
        return JobContext(cancellation: context.cancellation) { event in
            switch event {
            case .stageStarted(let stage):
                let mapped = Self.stage(of: stage, inWrite: clock.stage.order >= StationStage.build.order)
                if clock.enter(mapped) { onEvent(.stage(port: portName, stage: mapped, mac: nil, unit: nil)) }
            case .progress(let index, let done, _):
                if let fraction = clock.progress(index: index, done: done) { onEvent(.progress(port: portName, fraction: fraction)) }
            case .retry(_, _, let reason):
                clock.addRetry()
                onEvent(.retry(port: portName, stage: clock.stage, reason: reason))
            case .note(let text, let isWarning):
                onEvent(.note(port: portName, message: text, isWarning: isWarning))
            default: break
            }
        }
    }

    private func test(info: DeviceInfo, images: [FlashImage], clock: StageClock) async throws(ModuleStop) {
        guard let atAddress = port.atAddress else {
            throw .failed(StageFailure(stage: .test, reason: "no_at_port", message: "the recipe asks for the AT test but \(port.name) has no at_path"))
        }
        let param = plan.builder.regions.first { $0.name == "factory_param" }.flatMap { region in images.first { $0.address == region.address } }
        let baud = plan.recipe.test.baudRate ?? param.flatMap { FactoryParamSettings($0.data) }?.effectiveBaudRate ?? FactoryParamSettings.defaultBaudRate
        let expect = ATModuleTest.Expectations(version: plan.recipe.test.expectVersion, layout: plan.layout, mac: info.mac)
        let opener = context.opener
        var problem = ""
        for attempt in 0...plan.recipe.retries.test {
            if attempt > 0 {
                clock.addRetry()
                emit(.retry(port: port.name, stage: .test, reason: problem))
            }
            let outcome = await DeviceJob.detached(cancellation: context.cancellation) { () -> Result<[ATModuleTest.Check], TransportError> in
                let transport: any Transport
                do throws(TransportError) { transport = try opener.open(atAddress, baudRate: baud, role: .atCommands) } catch { return .failure(error) }
                let client = ATClient(transport: transport)
                client.settle(quiet: 0.2, limit: 1)
                let checks = ATModuleTest(client: client).run(expect)
                do throws(TransportError) { try opener.close(transport) } catch { return .failure(error) }
                return .success(checks)
            }
            switch outcome {
            case .failure(let error):
                problem = "cannot open the AT UART \(atAddress.description): \(error.message)"
            case .success(let checks):
                let failed = checks.filter { !$0.passed }
                if failed.isEmpty { return }
                problem = failed.map { "\($0.name.rawValue): \($0.detail)" }.joined(separator: "; ")
            }
            if context.cancellation.isCancelled { break }
        }
        throw .failed(StageFailure(stage: .test, reason: "test_failed", message: problem))
    }
}

extension RecordFile {
    init(_ region: RegionOutcome) {
        self.init(name: region.name, address: region.address, size: region.size, md5: region.md5, status: region.status.rawValue)
    }
}

extension ReleasePolicy {
    /// Whether a failed module's unit goes back to the pool under this policy.
    func releases(_ record: ModuleRecord, unitFiles: Set<String>) -> Bool {
        switch self {
        case .never: return false
        case .failed: return true
        case .unwritten:
            if record.stage.order < StationStage.erase.order { return true }
            guard [.erase, .write, .verify].contains(record.stage) else { return false }
            // Nothing of the unit's own reached the flash (a skipped region means the flash held it already). A
            // module abandoned by a killed station has no file states: it may have been written.
            let own = record.files.filter { unitFiles.contains($0.name) }
            return !own.isEmpty && own.allSatisfy { $0.status == "pending" }
        }
    }
}

/// 32 random hex digits.
func newAttemptID() -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<2).map { _ in
        let s = String(generator.next() as UInt64, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }.joined()
}
