import TLKernels

// Mean pooling of a masked token sequence ([N, T, D + 1], mask in the last channel, see
// TLNN/MaskedSequence.swift) as one primitive: read in place, one pass each way. The composite
// it replaces split the mask channel off (a copy), multiplied by the mask, summed over T,
// divided by the clamped token count, and its backward expanded, multiplied and copied back:
// five passes over the activation, on one thread.

extension Tensor {
    /// Mean over the tokens whose mask (the last channel) is set, per example.
    ///
    ///     self: [N, T, D + 1] → [N, D]
    ///     out[n, d] = Σ_t x[n, t, d]·m[n, t] / max(Σ_t m[n, t], 1e-9)   (m = x[n, t, D])
    ///
    /// The mask channel is not differentiated (its gradient is 0), as in the composite, which
    /// this equals bit for bit (same Float additions in token order; tested):
    /// `h = x[..., :D]; (h * m).sum(axis: 1) / m.sum(axis: 1).clamp(min: 1e-9)`.
    public func maskedMeanPool() throws -> Tensor {
        guard rank == 3, shape[2] >= 2 else {
            throw TensorError.invalidArgument(operation: "maskedMeanPool", message: "expected [N, T, D + 1] with a mask channel, got \(shape)")
        }
        let (n, t, w) = (shape[0], shape[1], shape[2])
        let d = w - 1
        var counts = [Float](repeating: 0, count: n)
        let out = uninitializedScalars(n * d) { po in
            scalars.withUnsafeBufferPointer { px in
                counts.withUnsafeMutableBufferPointer { pc in
                    let x = px.baseAddress, o = po.baseAddress, c = pc.baseAddress!
                    parallelChunks(units: n, work: count * memoryBoundWeight) { range in
                        for s in range {
                            let base = x! + s * t * w
                            var total: Float = 0
                            for i in 0..<t { total += base[i * w + d] }
                            let count = Swift.max(total, 1e-9)
                            c[s] = count
                            let row = o! + s * d
                            for j in 0..<d { row[j] = 0 }
                            for i in 0..<t { addScaled(base + i * w, base[i * w + d], into: row, count: d) }
                            for j in 0..<d { row[j] = row[j] / count }
                        }
                    }
                }
            }
        }
        return Tensor.record(.fused(MaskedMeanPoolRule(counts: counts)), inputs: [self],
                             output: Tensor(unchecked: out, shape: [n, d]))
    }
}

/// acc[j] = acc[j] + x[j]·m (a product, then a sum: no fused multiply-add, as the composite).
@inline(__always)
private func addScaled(_ x: UnsafePointer<Float>, _ m: Float, into acc: UnsafeMutablePointer<Float>, count: Int) {
    typealias V = SIMD16<Float>
    let rx = UnsafeRawPointer(x), ra = UnsafeMutableRawPointer(acc), mv = V(repeating: m)
    var j = 0
    while j + 16 <= count {
        let a = ra.loadUnaligned(fromByteOffset: j * 4, as: V.self) + rx.loadUnaligned(fromByteOffset: j * 4, as: V.self) * mv
        ra.storeBytes(of: a, toByteOffset: j * 4, as: V.self)
        j += 16
    }
    while j < count { acc[j] = acc[j] + x[j] * m; j += 1 }
}

/// Backward of `maskedMeanPool`: dx[n, t, d] = (g[n, d] / count[n])·m[n, t]; the mask channel gets 0.
struct MaskedMeanPoolRule: FusedRule {
    let counts: [Float]

    func gradients(inputs x: [Tensor], upstream g: Tensor, needs: [Bool]) throws -> [Tensor?] {
        guard needs[0] else { return [nil] }
        let (n, t, w) = (x[0].shape[0], x[0].shape[1], x[0].shape[2])
        let d = w - 1
        let dx = uninitializedScalars(x[0].count) { pd in
            x[0].scalars.withUnsafeBufferPointer { px in
                g.scalars.withUnsafeBufferPointer { pg in
                    counts.withUnsafeBufferPointer { pc in
                        let xs = px.baseAddress!, gs = pg.baseAddress!, out = pd.baseAddress!
                        parallelChunks(units: n, work: x[0].count * memoryBoundWeight) { range in
                            var q = [Float](repeating: 0, count: d)
                            for s in range {
                                for j in 0..<d { q[j] = gs[s * d + j] / pc[s] }
                                q.withUnsafeBufferPointer { pq in
                                    for i in 0..<t {
                                        let row = out + (s * t + i) * w, m = xs[(s * t + i) * w + d]
                                        scaleRow(pq.baseAddress!, m, into: row, count: d)
                                        row[d] = 0
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return [Tensor(unchecked: dx, shape: x[0].shape)]
    }
}

/// out[j] = q[j]·m.
@inline(__always)
private func scaleRow(_ q: UnsafePointer<Float>, _ m: Float, into out: UnsafeMutablePointer<Float>, count: Int) {
    typealias V = SIMD16<Float>
    let rq = UnsafeRawPointer(q), ro = UnsafeMutableRawPointer(out), mv = V(repeating: m)
    var j = 0
    while j + 16 <= count {
        ro.storeBytes(of: rq.loadUnaligned(fromByteOffset: j * 4, as: V.self) * mv, toByteOffset: j * 4, as: V.self)
        j += 16
    }
    while j < count { out[j] = q[j] * m; j += 1 }
}
