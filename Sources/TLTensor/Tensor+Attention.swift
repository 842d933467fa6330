import TLKernels

/// A fused operation that carries its own backward rule: one `Primitive.fused` case serves
/// all of them, so adding a fused op touches only its own file. The rule holds whatever the
/// forward pass saved (probabilities, dropout factors, pre-activations).
protocol FusedRule {
    /// ∂L/∂inputᵢ for every input that `needs` it, given the forward inputs and ∂L/∂output.
    func gradients(inputs x: [Tensor], upstream g: Tensor, needs: [Bool]) throws -> [Tensor?]
}

/// A Float array of `count` elements, every one written by `body` (no zero fill first).
@inline(__always)
func uninitializedScalars(_ count: Int, _ body: (UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        body(buffer)
        initialized = count
    }
}

extension Tensor {
    /// Fused multi-head scaled dot-product attention on unsplit projections.
    ///
    ///     query, key, value: [N, T, D] (D = heads · dh) → context [N, T, D]
    ///     context[:, :, head h] = drop(softmax(Q_h·K_hᵀ·scale + keyMask)) · V_h
    ///
    /// - keyMask: [N·T] additive scores per key (0 attend, a large negative value to mask), or nil.
    /// - dropout: [N·H·T·T] factors applied to the probabilities (0 or 1/(1−p)), or nil.
    /// Also returns the probabilities [N, H, T, T] (before dropout; not differentiable).
    /// Equals the composite split-heads/matmul/scale/add/softmax/multiply/matmul/merge chain
    /// (tested against it, and by finite differences).
    public static func multiHeadAttention(query: Tensor, key: Tensor, value: Tensor, heads: Int, scale: Float,
                                          keyMask: [Float]? = nil, dropout: [Float]? = nil) throws -> (context: Tensor, probabilities: Tensor) {
        guard query.rank == 3, key.shape == query.shape, value.shape == query.shape, heads > 0, query.shape[2] % heads == 0 else {
            throw TensorError.shapeMismatch(operation: "multiHeadAttention (query, key, value must be equal [N, T, D], D divisible by \(heads) heads)",
                                            lhs: query.shape, rhs: key.shape)
        }
        let geometry = AttentionGeometry(batch: query.shape[0], tokens: query.shape[1], heads: heads, headSize: query.shape[2] / heads)
        return try attention(inputs: [query, key, value], geometry: geometry, scale: scale, keyMask: keyMask, dropout: dropout)
    }

    /// The same on one packed projection: `packed` is [N, T, 3D] = [Q | K | V] along the last
    /// axis (one QKV GEMM instead of three; the gradient is written in the same layout).
    ///
    ///     packed: [N, T, 3D] → context [N, T, D]
    public static func multiHeadAttention(packed: Tensor, heads: Int, scale: Float,
                                          keyMask: [Float]? = nil, dropout: [Float]? = nil) throws -> (context: Tensor, probabilities: Tensor) {
        guard packed.rank == 3, heads > 0, packed.shape[2] % (3 * heads) == 0 else {
            throw TensorError.shapeMismatch(operation: "multiHeadAttention (packed Q|K|V must be [N, T, 3D], D divisible by \(heads) heads)",
                                            lhs: packed.shape, rhs: [3 * heads])
        }
        let d = packed.shape[2] / 3
        let geometry = AttentionGeometry(batch: packed.shape[0], tokens: packed.shape[1], heads: heads, headSize: d / heads, inputStride: 3 * d)
        return try attention(inputs: [packed], geometry: geometry, scale: scale, keyMask: keyMask, dropout: dropout)
    }

    /// Shared body: `inputs` is [Q, K, V] or [packed].
    private static func attention(inputs: [Tensor], geometry: AttentionGeometry, scale: Float, keyMask: [Float]?,
                                  dropout: [Float]?) throws -> (context: Tensor, probabilities: Tensor) {
        if let keyMask, keyMask.count != geometry.batch * geometry.tokens {
            throw TensorError.invalidArgument(operation: "multiHeadAttention", message: "key mask has \(keyMask.count) values, expected \(geometry.batch * geometry.tokens)")
        }
        if let dropout, dropout.count != geometry.probabilityCount {
            throw TensorError.invalidArgument(operation: "multiHeadAttention", message: "dropout has \(dropout.count) factors, expected \(geometry.probabilityCount)")
        }
        let third = inputs.count == 1 ? geometry.width : 0       // offset of K (and V: twice) in the packed rows
        var probabilities = [Float]()
        let context = uninitializedScalars(geometry.hiddenCount) { pc in
            probabilities = uninitializedScalars(geometry.probabilityCount) { pp in
                inputs[0].scalars.withUnsafeBufferPointer { pq in
                    inputs[inputs.count == 1 ? 0 : 1].scalars.withUnsafeBufferPointer { pk in
                        inputs[inputs.count == 1 ? 0 : 2].scalars.withUnsafeBufferPointer { pv in
                            withOptionalBuffer(keyMask) { pm in
                                withOptionalBuffer(dropout) { pd in
                                    attentionForward(q: pq, k: UnsafeBufferPointer(rebasing: pk[third...]),
                                                     v: UnsafeBufferPointer(rebasing: pv[(2 * third)...]), keyMask: pm, dropout: pd,
                                                     probabilities: pp, context: pc, geometry: geometry, scale: scale)
                                }
                            }
                        }
                    }
                }
            }
        }
        let rule = AttentionRule(geometry: geometry, scale: scale, probabilities: probabilities, dropout: dropout)
        let out = Tensor.record(.fused(rule), inputs: inputs,
                                output: Tensor(unchecked: context, shape: [geometry.batch, geometry.tokens, geometry.width]))
        return (out, Tensor(unchecked: probabilities, shape: [geometry.batch, geometry.heads, geometry.tokens, geometry.tokens]))
    }
}

/// Calls `body` with a buffer over `array`, or nil.
func withOptionalBuffer<R>(_ array: [Float]?, _ body: (UnsafeBufferPointer<Float>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0) }
}

/// Backward of `multiHeadAttention`: dQ, dK, dV from the saved probabilities and dropout factors.
struct AttentionRule: FusedRule {
    let geometry: AttentionGeometry
    let scale: Float
    let probabilities: [Float]
    let dropout: [Float]?

    func gradients(inputs x: [Tensor], upstream g: Tensor, needs: [Bool]) throws -> [Tensor?] {
        let packed = x.count == 1
        // Packed: one [N, T, 3D] gradient whose thirds are dQ, dK, dV; else three [N, T, D].
        let n = packed ? x[0].count : geometry.hiddenCount, third = packed ? geometry.width : 0
        var dk = [Float](), dv = [Float]()
        let dq = uninitializedScalars(n) { pdq in
            dk = uninitializedScalars(packed ? 0 : n) { pdk in
                dv = uninitializedScalars(packed ? 0 : n) { pdv in
                    x[0].scalars.withUnsafeBufferPointer { pq in
                        x[packed ? 0 : 1].scalars.withUnsafeBufferPointer { pk in
                            x[packed ? 0 : 2].scalars.withUnsafeBufferPointer { pv in
                                probabilities.withUnsafeBufferPointer { pp in
                                    g.scalars.withUnsafeBufferPointer { pg in
                                        withOptionalBuffer(dropout) { pd in
                                            attentionBackward(q: pq, k: UnsafeBufferPointer(rebasing: pk[third...]),
                                                              v: UnsafeBufferPointer(rebasing: pv[(2 * third)...]),
                                                              probabilities: pp, dropout: pd, contextGradient: pg,
                                                              dq: pdq, dk: packed ? UnsafeMutableBufferPointer(rebasing: pdq[third...]) : pdk,
                                                              dv: packed ? UnsafeMutableBufferPointer(rebasing: pdq[(2 * third)...]) : pdv,
                                                              geometry: geometry, scale: scale)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let shape = x[0].shape
        if packed { return [needs[0] ? Tensor(unchecked: dq, shape: shape) : nil] }
        return [needs[0] ? Tensor(unchecked: dq, shape: shape) : nil,
                needs[1] ? Tensor(unchecked: dk, shape: shape) : nil,
                needs[2] ? Tensor(unchecked: dv, shape: shape) : nil]
    }
}
