import TLKernels

// Fused kernels for the transformer path, each one primitive with one backward rule, each
// tested against the composite it replaces (Tests/TLTensorTests/FusedOpTests.swift):
//   softmax over the last axis, LayerNorm over the last axis, GELU.
extension Tensor {
    /// Rows and columns when the last axis is treated as the row.
    var rowsAndColumns: (rows: Int, cols: Int) {
        let cols = shape.last ?? 1
        return (cols == 0 ? 0 : count / cols, cols)
    }

    /// Softmax over the last axis with the fused, max-subtracted kernel.
    ///
    ///     x: [..., C] → [..., C]
    func softmaxLastAxis() -> Tensor {
        let (rows, cols) = rowsAndColumns
        let out = uninitializedScalars(count) { po in
            scalars.withUnsafeBufferPointer { px in softmaxRowsForward(x: px, y: po, rows: rows, cols: cols) }
        }
        return Tensor.record(.softmaxLastAxis, inputs: [self], output: Tensor(unchecked: out, shape: shape), saveOutput: true)
    }

    /// The composite softmax (exp of log-softmax), kept as the reference for the fused kernel.
    public func softmaxComposite(axis: Int = -1) throws -> Tensor {
        try logSoftmax(axis: axis).exp()
    }

    /// LayerNorm over the last axis: (x − mean) / √(var + ε) · weight + bias, with the biased
    /// variance (as BERT). One fused primitive; mean and 1/std are saved for the backward pass.
    ///
    ///     x: [..., C], weight: [C], bias: [C] → [..., C]
    public func layerNorm(weight: Tensor, bias: Tensor, epsilon: Float) throws -> Tensor {
        let (rows, cols) = rowsAndColumns
        guard rank >= 1, weight.shape == [cols], bias.shape == [cols] else {
            throw TensorError.shapeMismatch(operation: "layerNorm (weight and bias must be [\(cols)])", lhs: shape, rhs: weight.shape)
        }
        // Every element of out, mean and rstd is written by the kernel (no zero fill).
        var out = [Float](unsafeUninitializedCapacity: count) { _, n in n = count }
        var mean = [Float](unsafeUninitializedCapacity: rows) { _, n in n = rows }
        var rstd = [Float](unsafeUninitializedCapacity: rows) { _, n in n = rows }
        scalars.withUnsafeBufferPointer { px in
            weight.scalars.withUnsafeBufferPointer { pg in
                bias.scalars.withUnsafeBufferPointer { pb in
                    out.withUnsafeMutableBufferPointer { po in
                        mean.withUnsafeMutableBufferPointer { pm in
                            rstd.withUnsafeMutableBufferPointer { pr in
                                layerNormForward(x: px, gamma: pg, beta: pb, y: po, mean: pm, rstd: pr,
                                                 rows: rows, cols: cols, epsilon: epsilon)
                            }
                        }
                    }
                }
            }
        }
        return Tensor.record(.layerNorm(mean: mean, rstd: rstd), inputs: [self, weight, bias],
                             output: Tensor(unchecked: out, shape: shape))
    }

    /// GELU with the vectorised erf kernel (no recording).
    func geluValue() -> Tensor {
        var out = [Float](repeating: 0, count: count)
        scalars.withUnsafeBufferPointer { px in out.withUnsafeMutableBufferPointer { po in geluForward(x: px, y: po) } }
        return Tensor(unchecked: out, shape: shape)
    }
}

extension Primitive {
    /// Backward rules of the fused primitives (called from the rule table).
    static func fusedGradients(_ p: Primitive, inputs x: [Tensor], output y: [Float]?, upstream g: Tensor,
                               needs: [Bool]) -> [Tensor?] {
        switch p {
        case .softmaxLastAxis:
            // dx = y ⊙ (g − Σ g ⊙ y) per row
            let (rows, cols) = g.rowsAndColumns
            var dx = [Float](unsafeUninitializedCapacity: g.count) { _, n in n = g.count }   // every row written
            y!.withUnsafeBufferPointer { py in
                g.scalars.withUnsafeBufferPointer { pg in
                    dx.withUnsafeMutableBufferPointer { pd in softmaxRowsBackward(y: py, outputGradient: pg, inputGradient: pd, rows: rows, cols: cols) }
                }
            }
            return [Tensor(unchecked: dx, shape: g.shape)]
        case let .layerNorm(mean, rstd):
            let (rows, cols) = g.rowsAndColumns
            var dx = [Float](unsafeUninitializedCapacity: g.count) { _, n in n = g.count }   // every row written
            var dgamma = [Float](repeating: 0, count: cols), dbeta = [Float](repeating: 0, count: cols)
            x[0].scalars.withUnsafeBufferPointer { px in
                g.scalars.withUnsafeBufferPointer { pg in
                    x[1].scalars.withUnsafeBufferPointer { pw in
                        mean.withUnsafeBufferPointer { pm in
                            rstd.withUnsafeBufferPointer { pr in
                                dx.withUnsafeMutableBufferPointer { pd in
                                    dgamma.withUnsafeMutableBufferPointer { pgg in
                                        dbeta.withUnsafeMutableBufferPointer { pbg in
                                            layerNormBackward(x: px, outputGradient: pg, gamma: pw, mean: pm, rstd: pr,
                                                              inputGradient: pd, gammaGradient: pgg, betaGradient: pbg,
                                                              rows: rows, cols: cols)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return [needs[0] ? Tensor(unchecked: dx, shape: g.shape) : nil,
                    needs[1] ? Tensor(unchecked: dgamma, shape: [cols]) : nil,
                    needs[2] ? Tensor(unchecked: dbeta, shape: [cols]) : nil]
        case .gelu:
            var dx = [Float](repeating: 0, count: g.count)
            x[0].scalars.withUnsafeBufferPointer { px in
                g.scalars.withUnsafeBufferPointer { pg in
                    dx.withUnsafeMutableBufferPointer { pd in geluBackward(x: px, outputGradient: pg, inputGradient: pd) }
                }
            }
            return [Tensor(unchecked: dx, shape: g.shape)]
        default:
            return []
        }
    }
}
