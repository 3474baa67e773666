/// An opener whose ports can hold a succession of modules, as a production line's jig does: a station tells it when
/// it is done with the module at a port, and the next module takes its place (ChipEmulator's `virtual://CHIP?line=`
/// ports). Ports that are not lines ignore the call.
public protocol ModuleLineOpener: PortOpener {
    /// Whether `address` is a line port (a new module is there as soon as the last one is done).
    func isLine(_ address: PortAddress) -> Bool
    /// The module at `address` is done: it leaves, a fresh one is put there.
    func moduleDone(at address: PortAddress)
}
