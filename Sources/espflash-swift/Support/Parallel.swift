import Dispatch

/// Runs `body(i)` for every i in 0..<count on all cores and returns the results in index order.
func parallelMap<T>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    let slots = Slots<T>(count)
    DispatchQueue.concurrentPerform(iterations: count) { i in slots.set(i, body(i)) }
    return slots.values
}

/// Result storage shared by the workers of `parallelMap`: one preallocated slot per index, each written by exactly
/// one worker, so no two threads ever touch the same memory (concurrentPerform returns after all writes).
private final class Slots<T>: @unchecked Sendable {
    private let items: UnsafeMutableBufferPointer<T?>

    init(_ count: Int) {
        items = .allocate(capacity: count)
        items.initialize(repeating: nil)
    }

    deinit {
        _ = items.deinitialize()
        items.deallocate()
    }

    func set(_ i: Int, _ value: T) { items[i] = value }

    var values: [T] { items.map { $0! } }
}
