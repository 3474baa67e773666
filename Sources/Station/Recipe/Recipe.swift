import ImageFormats
import SerialBootloader

/// A station recipe (`station run RECIPE.toml`), checked: what every module gets, what each gets of its own, the
/// tests after flashing, the ports. Paths are as written (relative to the recipe's folder); `RecipeLoader` reads them.
public struct Recipe: Sendable {
    /// The modules' chip: a port presenting another one fails at the check stage.
    public var chip: Chip
    /// The lowest chip revision accepted (`min_revision = "v1.0"`); nil accepts any.
    public var minimumRevision: ChipRevision?
    /// ADDR FILE pairs every module gets (`flash`, or `factory_image` at 0x0).
    public var flash: [FlashEntry]
    /// The rate after connecting (`baud`, 115200 by default).
    public var baudRate: Int
    /// `station`: the id records carry (the command line or the host name otherwise).
    public var stationID: String?
    /// `[unit]`: the per-module values; nil when every module gets the same.
    public var unit: UnitSpec?
    public var test: TestSpec
    public var retries: RetryPolicy
    public var ports: [PortSpec]
    /// `[discover]`: ports found by themselves (and any plugged in later); nil when the ports are listed.
    public var discovery: DiscoverySpec?

    public init(chip: Chip, minimumRevision: ChipRevision? = nil, flash: [FlashEntry], baudRate: Int = 115_200, stationID: String? = nil,
                unit: UnitSpec? = nil, test: TestSpec = TestSpec(), retries: RetryPolicy = RetryPolicy(), ports: [PortSpec] = []) {
        self.chip = chip
        self.minimumRevision = minimumRevision
        self.flash = flash
        self.baudRate = baudRate
        self.stationID = stationID
        self.unit = unit
        self.test = test
        self.retries = retries
        self.ports = ports
    }
}

/// A file every module gets, at its address. `line` is where the recipe names it.
public struct FlashEntry: Sendable, Hashable {
    public var address: Int
    public var path: String
    public var line: Int?

    public init(address: Int, path: String, line: Int? = nil) {
        self.address = address
        self.path = path
        self.line = line
    }
}

/// Where a per-unit image goes: a fixed offset (and size), or a partition of the flashed tables by name (the main
/// table at 0x8000, or the at_customize table it points to).
public enum Placement: Sendable, Hashable {
    case offset(Int, size: Int?)
    case partition(String)
}

/// `[unit]`: one row of the values CSV per unit; a unit is bound to exactly one module (MAC).
public struct UnitSpec: Sendable {
    /// The values CSV (header row names the columns).
    public var values: String
    /// The column that identifies a unit (its serial number).
    public var idColumn: String
    /// The pool the units are drawn from (`pool`; the values file's name without extension by default).
    public var pool: String
    public var release: ReleasePolicy
    public var nvs: NVSSpec?
    public var factoryParam: FactoryParamSpec?
    public var pki: [PKISpec]
    /// Line of `[unit]` in the recipe.
    public var line: Int?

    public init(values: String, idColumn: String, pool: String, release: ReleasePolicy = .never, nvs: NVSSpec? = nil,
                factoryParam: FactoryParamSpec? = nil, pki: [PKISpec] = [], line: Int? = nil) {
        self.values = values
        self.idColumn = idColumn
        self.pool = pool
        self.release = release
        self.nvs = nvs
        self.factoryParam = factoryParam
        self.pki = pki
        self.line = line
    }
}

/// When the unit of a module that failed goes back to the pool (`[unit] release`). Units of passed modules never do.
public enum ReleasePolicy: String, Sendable, CaseIterable {
    /// Never: the unit stays bound to the module's MAC (it gets it back when flashed again). The default.
    case never
    /// When none of the unit's own data reached the module (it failed before its per-unit images were written).
    case unwritten
    /// Whenever the module failed, even after its unit's data was written (two modules may then carry it).
    case failed
}

/// `[unit.nvs]`: an NVS image per unit from an `nvs generate` CSV whose `{column}` texts become the unit's values.
public struct NVSSpec: Sendable {
    public var template: String
    public var placement: Placement
    /// The image size; the partition's size when placed by partition.
    public var size: Int?
    public var version: NVSFormat.Version
    public var line: Int?
}

/// `[unit.factory_param]`: factory_param per unit, built from the type and data CSVs for `module` (and `platform`),
/// with a units.csv column `factory_param.FIELD` overriding FIELD.
public struct FactoryParamSpec: Sendable {
    public var types: String
    public var data: String
    public var module: String
    public var platform: String?
    /// nil: the `factory_param` partition of the flashed tables.
    public var offset: Int?
    public var line: Int?
}

/// `[[unit.pki]]`: a PKI bin per unit (`pki build`), its items' files named by templates such as `certs/{serial}.crt`.
public struct PKISpec: Sendable {
    public var placement: Placement
    public var items: [(kind: PKIBundle.Kind, path: String)]
    public var line: Int?
}

/// `[test]`: what runs after flashing and the hard reset.
public struct TestSpec: Sendable {
    /// The AT test (`at test`'s checks) over the module's AT UART.
    public var at: Bool
    public var expectVersion: String?
    /// at_customize.bin (or its CSV) the module must list; nil: the at_customize table inside the flashed files.
    public var layout: String?
    /// The AT UART's rate; nil: the unit's factory_param rate (115200 when unset).
    public var baudRate: Int?

    public init(at: Bool = false, expectVersion: String? = nil, layout: String? = nil, baudRate: Int? = nil) {
        self.at = at
        self.expectVersion = expectVersion
        self.layout = layout
        self.baudRate = baudRate
    }
}

/// `[retries]`: how often a stage is tried again after it failed (beyond the jobs' own re-syncs).
public struct RetryPolicy: Sendable, Equatable {
    public var connect: Int
    public var write: Int
    public var test: Int

    public init(connect: Int = 1, write: Int = 1, test: Int = 1) {
        self.connect = connect
        self.write = write
        self.test = test
    }
}

/// `[discover]`: every serial port the system lists that passes `filter` (esptool's `--port-filter` terms; without
/// one, every port that looks like an ESP board's) is a port of the run, looked for again every `interval` seconds:
/// a board plugged in mid-run is a new module at a new port.
public struct DiscoverySpec: Sendable, Hashable {
    public var filter: PortFilter
    public var interval: Double
    public var line: Int?

    public init(filter: PortFilter = PortFilter(), interval: Double = 1, line: Int? = nil) {
        self.filter = filter
        self.interval = interval
        self.line = line
    }
}

/// `[[port]]`: a port a module sits at, and its AT UART when that is another port.
public struct PortSpec: Sendable, Hashable {
    public var path: String
    public var atPath: String?
    public var line: Int?

    public init(path: String, atPath: String? = nil, line: Int? = nil) {
        self.path = path
        self.atPath = atPath
        self.line = line
    }
}
