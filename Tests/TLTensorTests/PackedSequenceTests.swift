import Testing
@testable import TLTensor

/// The packed-sequence primitives (Tensor+PackedSequences) against the padded, masked
/// primitives they replace, bit for bit: sequences of lengths 1 to T, padding rows holding
/// other values. Also the refusals (bad offsets, a recorded graph).
@Suite struct PackedSequenceTests {
    static let lengths = [5, 1, 23, 23, 12, 2]

    var offsets: [Int] { Self.lengths.reduce(into: [0]) { $0.append($0.last! + $1) } }

    /// The packed rows [ΣL, w] scattered into a padded [N, T, w] batch (other rows random) and its [N·T] 0/1 mask.
    func padded(_ x: Tensor, width w: Int, seed: UInt64) -> (batch: [Float], mask: [Float], t: Int) {
        let (n, t) = (Self.lengths.count, Self.lengths.max()!)
        var batch = sample([n * t * w], seed: seed).scalars, mask = [Float](repeating: 0, count: n * t)
        for s in 0..<n {
            for i in 0..<Self.lengths[s] {
                mask[s * t + i] = 1
                for j in 0..<w { batch[(s * t + i) * w + j] = x.scalars[(offsets[s] + i) * w + j] }
            }
        }
        return (batch, mask, t)
    }

    @Test func meanPoolEqualsMaskedMeanPool() throws {
        let d = 37, x = sample([offsets.last!, d], seed: 3)
        let (batch, mask, t) = padded(x, width: d, seed: 4)
        var withMask = [Float]()
        for r in 0..<mask.count { withMask += batch[(r * d)..<((r + 1) * d)]; withMask.append(mask[r]) }
        let expected = try Tensor(withMask, shape: [Self.lengths.count, t, d + 1]).maskedMeanPool()
        let pooled = try x.packedMeanPool(offsets: offsets)
        #expect(pooled.shape == [Self.lengths.count, d])
        #expect(pooled.scalars.map(\.bitPattern) == expected.scalars.map(\.bitPattern))
    }

    @Test func firstRowsAreEachSequencesFirstToken() throws {
        let d = 5, x = sample([offsets.last!, d], seed: 5)
        let first = try x.packedFirstRows(offsets: offsets)
        for s in 0..<Self.lengths.count { #expect(Array(first.scalars[(s * d)..<((s + 1) * d)]) == Array(x.scalars[(offsets[s] * d)..<((offsets[s] + 1) * d)])) }
    }

    @Test(arguments: [(2, 4), (3, 8), (2, 32)])
    func attentionEqualsPaddedMaskedAttention(_ size: (heads: Int, headSize: Int)) throws {
        let d = size.heads * size.headSize, scale = 1 / Float(size.headSize).squareRoot()
        let qkv = sample([offsets.last!, 3 * d], seed: UInt64(d))
        let (batch, mask, t) = padded(qkv, width: 3 * d, seed: 6)
        let keyMask = mask.map { $0 == 0 ? Float(-1e9) : 0 }
        let (expected, _) = try Tensor.multiHeadAttention(packed: Tensor(batch, shape: [Self.lengths.count, t, 3 * d]), heads: size.heads,
                                                          scale: scale, keyMask: keyMask)
        let context = try Tensor.packedSequenceAttention(packed: qkv, offsets: offsets, heads: size.heads, scale: scale)
        let separate = try Tensor.packedSequenceAttention(query: qkv.sliced(axis: 1, 0..<d), key: qkv.sliced(axis: 1, d..<(2 * d)),
                                                          value: qkv.sliced(axis: 1, (2 * d)..<(3 * d)), offsets: offsets,
                                                          heads: size.heads, scale: scale)
        #expect(context.shape == [offsets.last!, d])
        var differing = 0
        for s in 0..<Self.lengths.count {
            for i in 0..<Self.lengths[s] {
                for j in 0..<d where context.scalars[(offsets[s] + i) * d + j].bitPattern != expected.scalars[(s * t + i) * d + j].bitPattern { differing += 1 }
            }
        }
        #expect(differing == 0, "\(differing) values differ")
        #expect(separate.scalars.map(\.bitPattern) == context.scalars.map(\.bitPattern))
    }

    @Test func refusesBadOffsetsAndRecordedGraphs() throws {
        let x = sample([6, 4], seed: 7)
        #expect(throws: TensorError.self) { try x.packedMeanPool(offsets: [0, 4]) }            // rows not covered
        #expect(throws: TensorError.self) { try x.packedMeanPool(offsets: [0, 4, 2, 6]) }      // decreasing
        #expect(throws: TensorError.self) { try x.packedFirstRows(offsets: [0, 0, 6]) }        // empty sequence has no first row
        #expect(throws: TensorError.self) { try Tensor.packedSequenceAttention(packed: sample([6, 12], seed: 8), offsets: [0, 3, 5], heads: 2, scale: 1) }
        #expect(throws: TensorError.self) { try x.requiringGrad().packedMeanPool(offsets: [0, 2, 6]) }
        let pooled = try withNoGrad { try x.requiringGrad().packedMeanPool(offsets: [0, 2, 6]) }
        #expect(pooled.shape == [2, 4] && !pooled.requiresGrad)
    }
}
