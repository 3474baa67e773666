import Dispatch
import Foundation

/// Runs `body(i)` for every i in 0..<count on all cores and returns the results in index order.
func parallelMap<T>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    let slots = Slots<T>(count)
    DispatchQueue.concurrentPerform(iterations: count) { i in slots.set(i, body(i)) }
    return slots.values
}

/// Result storage shared by the workers of `parallelMap`; each index is written exactly once, under a lock.
private final class Slots<T>: @unchecked Sendable {
    private var items: [T?]
    private let lock = NSLock()

    init(_ count: Int) { items = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ value: T) {
        lock.lock()
        items[i] = value
        lock.unlock()
    }

    var values: [T] { items.map { $0! } }
}
