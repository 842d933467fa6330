// Skipping long runs of draws by jump-ahead (for placeholders: `Tensor.placeholderInitialization`
// advances the generator past MiniLM's 22M initial values, which one `next()` at a time took
// ~25 ms of every checkpoint load). Whole segments of `XoshiroJump.segmentDraws` draws go by
// the precomputed matrix powers (SeededGenerator+Jump.swift), the rest one draw at a time:
// the state afterwards is exactly that of `count` calls of `next()`.

extension SeededGenerator {
    /// Advances the stream exactly as `count` calls of `next()` would.
    mutating func skipDraws(_ count: Int) {
        var left = Swift.max(count, 0)
        // Below a few segments stepping is cheaper than a matrix product per set bit.
        while left / XoshiroJump.segmentDraws >= 4 {
            let segments = Swift.min(left / XoshiroJump.segmentDraws, (1 << XoshiroJump.powerCount) - 1)
            rawState = XoshiroJump.advance(rawState, segments: segments)
            left -= segments * XoshiroJump.segmentDraws
        }
        for _ in 0..<left { _ = next() }
    }
}
