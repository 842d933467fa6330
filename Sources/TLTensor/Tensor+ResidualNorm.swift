import TLKernels

extension Tensor {
    /// The post-LayerNorm residual step LN(x + r ⊙ f) as one primitive: the dropout factors,
    /// the residual sum and LayerNorm in one forward pass over the rows; the backward pass gives
    /// dz from LayerNorm's rule to x and dz ⊙ f to r.
    ///
    ///     self (x): [..., C], residual r: [..., C], dropout f: [count] factors or nil,
    ///     weight, bias: [C] → [..., C]
    public func addLayerNorm(_ residual: Tensor, dropout: [Float]?, weight: Tensor, bias: Tensor, epsilon: Float) throws -> Tensor {
        let (rows, cols) = rowsAndColumns
        guard rank >= 1, residual.shape == shape, weight.shape == [cols], bias.shape == [cols] else {
            throw TensorError.shapeMismatch(operation: "addLayerNorm (x and residual equal [..., C], weight and bias [C])", lhs: shape, rhs: residual.shape)
        }
        if let dropout, dropout.count != count {
            throw TensorError.invalidArgument(operation: "addLayerNorm", message: "dropout has \(dropout.count) factors, expected \(count)")
        }
        var mean = [Float](repeating: 0, count: rows), rstd = [Float](repeating: 0, count: rows)
        // Without a recorded graph (the same test as `Tensor.record`) the sum is not kept: it is
        // formed in the output rows and normalised in place (no second [rows, C] buffer).
        let records = GradMode.isEnabled && (requiresGrad || residual.requiresGrad || weight.requiresGrad || bias.requiresGrad)
        var sum = [Float]()
        let out = uninitializedScalars(count) { po in
            sum = uninitializedScalars(records ? count : 0) { sumBuffer in
                let pz = records ? sumBuffer : po
                scalars.withUnsafeBufferPointer { px in
                    residual.scalars.withUnsafeBufferPointer { pr in
                        withOptionalBuffer(dropout) { pf in
                            weight.scalars.withUnsafeBufferPointer { pg in
                                bias.scalars.withUnsafeBufferPointer { pb in
                                    mean.withUnsafeMutableBufferPointer { pm in
                                        rstd.withUnsafeMutableBufferPointer { ps in
                                            addLayerNormForward(x: px, residual: pr, dropout: pf, gamma: pg, beta: pb, sum: pz, y: po,
                                                                mean: pm, rstd: ps, rows: rows, cols: cols, epsilon: epsilon)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let rule = AddLayerNormRule(sum: sum, mean: mean, rstd: rstd, dropout: dropout)
        return Tensor.record(.fused(rule), inputs: [self, residual, weight, bias], output: Tensor(unchecked: out, shape: shape))
    }
}

/// Backward of `addLayerNorm`: LayerNorm's rule on the saved sum z, then dx = dz, dr = dz ⊙ f.
struct AddLayerNormRule: FusedRule {
    let sum: [Float]
    let mean: [Float], rstd: [Float]
    let dropout: [Float]?

    func gradients(inputs x: [Tensor], upstream g: Tensor, needs: [Bool]) throws -> [Tensor?] {
        let (rows, cols) = g.rowsAndColumns
        var dgamma = [Float](repeating: 0, count: cols), dbeta = [Float](repeating: 0, count: cols)
        // With dropout, dr = dz ⊙ f is written by the same pass (per thread, rows in cache).
        let scaled = needs[1] && dropout != nil
        var dr = [Float]()
        let dz = uninitializedScalars(g.count) { pd in
            dr = uninitializedScalars(scaled ? g.count : 0) { pdr in
                sum.withUnsafeBufferPointer { pz in
                    g.scalars.withUnsafeBufferPointer { pg in
                        x[2].scalars.withUnsafeBufferPointer { pw in
                            mean.withUnsafeBufferPointer { pm in
                                rstd.withUnsafeBufferPointer { pr in
                                    dgamma.withUnsafeMutableBufferPointer { pgg in
                                        dbeta.withUnsafeMutableBufferPointer { pbg in
                                            if scaled, let dropout {
                                                dropout.withUnsafeBufferPointer { pf in
                                                    addLayerNormBackward(sum: pz, outputGradient: pg, gamma: pw, mean: pm, rstd: pr, dropout: pf,
                                                                         inputGradient: pd, residualGradient: pdr, gammaGradient: pgg,
                                                                         betaGradient: pbg, rows: rows, cols: cols)
                                                }
                                            } else {
                                                layerNormBackward(x: pz, outputGradient: pg, gamma: pw, mean: pm, rstd: pr, inputGradient: pd,
                                                                  gammaGradient: pgg, betaGradient: pbg, rows: rows, cols: cols)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if !scaled { dr = dz }
        return [needs[0] ? Tensor(unchecked: dz, shape: g.shape) : nil,
                needs[1] ? Tensor(unchecked: dr, shape: g.shape) : nil,
                needs[2] ? Tensor(unchecked: dgamma, shape: [cols]) : nil,
                needs[3] ? Tensor(unchecked: dbeta, shape: [cols]) : nil]
    }
}
