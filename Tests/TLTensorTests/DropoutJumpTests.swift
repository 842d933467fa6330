import Testing
@testable import TLTensor

/// Dropout masks drawn in segments (jump-ahead, possibly across threads) are the sequential
/// stream: element e decided by bits 16(e mod 4)… of draw e/4 of `next()`, and the generator
/// ends where ⌈count/4⌉ draws leave it, whatever the partition of the segments.
@Suite struct DropoutJumpTests {
    /// The naive twin: one `next()` per four elements.
    func reference(_ rng: inout SeededGenerator, count: Int, keep: Float) -> [Float] {
        let threshold = UInt64((Double(keep) * 65536).rounded())
        var out: [Float] = []
        var bits: UInt64 = 0
        for e in 0..<count {
            if e % 4 == 0 { bits = rng.next() }
            out.append((bits >> UInt64(16 * (e % 4))) & 0xFFFF < threshold ? 1 / keep : 0)
        }
        return out
    }

    /// Even partition into `parts` ranges, run back to front (each range must only depend on
    /// the state it is given).
    func split(parts: Int) -> (Int, (Range<Int>) -> Void) -> Void {
        { segments, body in
            let p = Swift.min(parts, segments)
            for i in stride(from: p - 1, through: 0, by: -1) {
                let base = segments / p, extra = segments % p
                let lo = i * base + Swift.min(i, extra)
                body(lo..<(lo + base + (i < extra ? 1 : 0)))
            }
        }
    }

    @Test func segmentedMasksEqualTheSequentialStream() {
        let per = XoshiroJump.segmentElements
        for count in [0, 3, 16, 17, per - 1, per, per + 5, 3 * per + 18, 7 * per + 1] {
            for parts in [1, 2, 3, 5] {
                var a = SeededGenerator(seed: UInt64(11 + count)), b = a
                let fast = a.dropoutFactors(count: count, keep: 0.9, split: split(parts: parts))
                let slow = reference(&b, count: count, keep: 0.9)
                #expect(fast == slow, "count \(count), parts \(parts)")
                #expect(a.state == b.state, "next state after count \(count), parts \(parts)")
            }
        }
    }

    @Test func publicPathEqualsTheSequentialStream() {
        // Long enough to split across the kernel threads when more than one is configured.
        var a = SeededGenerator(seed: 5), b = a
        let f = a.dropoutFactors(count: 20 * XoshiroJump.segmentElements + 9, keep: 0.75)
        #expect(f == reference(&b, count: f.count, keep: 0.75))
        #expect(a.state == b.state)
    }

    @Test func jumpEqualsSteppingDrawByDraw() {
        var g = SeededGenerator(seed: 77)
        let start = g.rawState
        for _ in 0..<(3 * XoshiroJump.segmentDraws) { _ = g.next() }
        let jumped = XoshiroJump.advance(start, segments: 3)
        #expect([jumped.0, jumped.1, jumped.2, jumped.3] == g.state)
    }
}
