import TLKernels

// Packed (padding-free) token sequences for inference: the hidden states of a batch of texts
// as one [ΣLᵢ, D] token matrix, sequence i in rows offsets[i]..<offsets[i + 1], instead of
// [N, T, D] padded to the longest text with a mask. Token-wise operations (linear layers,
// LayerNorm, GELU) run on the matrix as they are; the three below are the ones that need the
// sequence boundaries. They record no graph (inference only) and equal the padded, masked
// primitives bit for bit (tested: PackedSequenceTests).

extension Tensor {
    /// Multi-head attention of each sequence over its own tokens, on one packed projection.
    ///
    ///     packed: [ΣL, 3D] = [Q | K | V] along the last axis → context [ΣL, D]
    ///
    /// Equals `multiHeadAttention(packed:)` on the batch padded to `paddedLength` tokens with
    /// the padding keys masked (see TLKernels/Attention+Sequences.swift for the conditions).
    public static func packedSequenceAttention(packed: Tensor, offsets: [Int], paddedLength: Int? = nil,
                                               heads: Int, scale: Float) throws -> Tensor {
        guard packed.rank == 2, heads > 0, packed.shape[1] % (3 * heads) == 0 else {
            throw TensorError.shapeMismatch(operation: "packedSequenceAttention (packed Q|K|V must be [ΣL, 3D], D divisible by \(heads) heads)",
                                            lhs: packed.shape, rhs: [3 * heads])
        }
        let d = packed.shape[1] / 3
        let geometry = PackedAttentionGeometry(offsets: offsets, heads: heads, headSize: d / heads, inputStride: 3 * d,
                                               paddedLength: paddedLength)
        return try packedAttention(inputs: [packed], geometry: geometry, scale: scale)
    }

    /// The same on separate projections: query, key, value [ΣL, D] → context [ΣL, D].
    public static func packedSequenceAttention(query: Tensor, key: Tensor, value: Tensor, offsets: [Int], paddedLength: Int? = nil,
                                               heads: Int, scale: Float) throws -> Tensor {
        guard query.rank == 2, key.shape == query.shape, value.shape == query.shape, heads > 0, query.shape[1] % heads == 0 else {
            throw TensorError.shapeMismatch(operation: "packedSequenceAttention (query, key, value must be equal [ΣL, D], D divisible by \(heads) heads)",
                                            lhs: query.shape, rhs: key.shape)
        }
        let geometry = PackedAttentionGeometry(offsets: offsets, heads: heads, headSize: query.shape[1] / heads, paddedLength: paddedLength)
        return try packedAttention(inputs: [query, key, value], geometry: geometry, scale: scale)
    }

    private static func packedAttention(inputs: [Tensor], geometry g: PackedAttentionGeometry, scale: Float) throws -> Tensor {
        try requireInference(inputs, operation: "packedSequenceAttention")
        guard g.isValid, g.rows == inputs[0].shape[0] else {
            throw TensorError.invalidArgument(operation: "packedSequenceAttention",
                                              message: "offsets \(g.offsets.prefix(8))… (padded length \(g.paddedLength)) do not split \(inputs[0].shape[0]) rows into sequences")
        }
        let third = inputs.count == 1 ? g.width : 0                    // offset of K (and V: twice) in the packed rows
        let context = uninitializedScalars(g.rows * g.width) { pc in
            inputs[0].scalars.withUnsafeBufferPointer { pq in
                inputs[inputs.count == 1 ? 0 : 1].scalars.withUnsafeBufferPointer { pk in
                    inputs[inputs.count == 1 ? 0 : 2].scalars.withUnsafeBufferPointer { pv in
                        attentionForwardPacked(q: pq, k: UnsafeBufferPointer(rebasing: pk[third...]),
                                               v: UnsafeBufferPointer(rebasing: pv[(2 * third)...]), context: pc, geometry: g, scale: scale)
                    }
                }
            }
        }
        return Tensor(unchecked: context, shape: [g.rows, g.width])
    }

    /// Whether `linear` on `rows` rows, `inFeatures` → `outFeatures`, runs through the GEMM's
    /// loops for tiny products, rounded differently from the blocked path's: packed rows give
    /// the padded batch's result only where both row counts fall on the same side.
    public static func linearRunsUnpacked(rows: Int, inFeatures: Int, outFeatures: Int) -> Bool {
        gemmRunsUnpacked(m: rows, n: outFeatures, k: inFeatures)
    }

    /// Mean of each sequence's rows: [ΣL, D] → [N, D] (an empty sequence gives zeros).
    ///
    /// The same Float additions in token order as `maskedMeanPool` on the padded batch (padding
    /// rows there add x·0), divided by the same count: bit-identical.
    public func packedMeanPool(offsets: [Int]) throws -> Tensor {
        try checkPackedRows(offsets, operation: "packedMeanPool")
        let (n, d) = (offsets.count - 1, shape[1])
        let out = uninitializedScalars(n * d) { po in
            scalars.withUnsafeBufferPointer { px in
                let x = px.baseAddress, o = po.baseAddress!
                parallelChunks(units: n, work: count * memoryBoundWeight) { range in
                    for s in range {
                        let row = o + s * d
                        for j in 0..<d { row[j] = 0 }
                        var total: Float = 0
                        for i in offsets[s]..<offsets[s + 1] {
                            addRow(x! + i * d, into: row, count: d)
                            total += 1
                        }
                        let count = Swift.max(total, 1e-9)
                        for j in 0..<d { row[j] = row[j] / count }
                    }
                }
            }
        }
        return Tensor(unchecked: out, shape: [n, d])
    }

    /// The first row of each sequence ([CLS]): [ΣL, D] → [N, D]; every sequence must be non-empty.
    public func packedFirstRows(offsets: [Int]) throws -> Tensor {
        try checkPackedRows(offsets, operation: "packedFirstRows")
        let n = offsets.count - 1, d = shape[1]
        guard (0..<n).allSatisfy({ offsets[$0 + 1] > offsets[$0] }) else {
            throw TensorError.invalidArgument(operation: "packedFirstRows", message: "every sequence needs a first token")
        }
        var out = [Float]()
        out.reserveCapacity(n * d)
        for s in 0..<n { out.append(contentsOf: scalars[(offsets[s] * d)..<((offsets[s] + 1) * d)]) }
        return Tensor(unchecked: out, shape: [n, d])
    }

    private func checkPackedRows(_ offsets: [Int], operation: String) throws {
        try Tensor.requireInference([self], operation: operation)
        guard rank == 2, offsets.count >= 2, offsets.first == 0, offsets.last == shape[0],
              zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw TensorError.invalidArgument(operation: operation, message: "offsets \(offsets.prefix(8))… do not split the rows of \(shape) into sequences")
        }
    }

    /// The packed primitives have no backward rule: refuse inputs that take part in a recorded graph.
    private static func requireInference(_ inputs: [Tensor], operation: String) throws {
        if GradMode.isEnabled, inputs.contains(where: \.requiresGrad) {
            throw TensorError.invalidArgument(operation: operation, message: "inference only: run it inside withNoGrad")
        }
    }
}

/// acc[j] = acc[j] + x[j] (x·1 in the masked pool: the same sum).
@inline(__always)
private func addRow(_ x: UnsafePointer<Float>, into acc: UnsafeMutablePointer<Float>, count: Int) {
    typealias V = SIMD16<Float>
    let rx = UnsafeRawPointer(x), ra = UnsafeMutableRawPointer(acc)
    var j = 0
    while j + 16 <= count {
        let a = ra.loadUnaligned(fromByteOffset: j * 4, as: V.self) + rx.loadUnaligned(fromByteOffset: j * 4, as: V.self)
        ra.storeBytes(of: a, toByteOffset: j * 4, as: V.self)
        j += 16
    }
    while j < count { acc[j] = acc[j] + x[j]; j += 1 }
}
