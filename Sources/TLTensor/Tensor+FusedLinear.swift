import TLKernels

// The fused fully connected layer of the transformer path, one primitive with one backward
// rule (tested against the composites it replaces and by finite differences,
// Tests/TLTensorTests/FusedLinearTests.swift): y = act(x·Wᵀ + b). Without activation the bias
// enters the GEMM's tiles as they are written back (sgemmBias: no pass over C). With GELU and a
// bias, the bias and GELU run on each GEMM tile after its last K block (sgemmBiasGelu): in
// inference in place (no second pass, no second buffer); when a graph is recorded the epilogue
// also keeps GELU′ (one erf for both), so the backward pass multiplies dY by it and sums the
// bias gradient in one pass over dY before the two GEMMs, without evaluating erf again. GELU
// without a bias keeps the pre-activation and a separate GELU pass.
// Keeping GELU′ (issue 14, 6 alternated runs each): MiniLM's top-2 step 346.9 → 341.9 ms CPU at
// 1 thread (every pair faster) and 176.5 → 178.3 samples/s at 2; the d128 transformer's step
// unchanged (59.5 / 60.1 ms CPU, 984 / 995 samples/s). An earlier attempt had measured the
// transformer 2.7% slower at 1 thread (61.2 → 63.0 ms, 5 runs each); not reproduced.
// (The residual + LayerNorm step is in Tensor+ResidualNorm.swift.)

extension Tensor {
    /// The activation applied by a fused `linear`.
    public enum FusedActivation: Sendable { case identity, gelu }

    /// act(x·Wᵀ + b) as one primitive, times `dropoutFactors` (a dropout's mask, one factor per
    /// output element: 0 or 1/(1 − p)) when given.
    ///
    ///     self: [..., in], weight: [out, in], bias: [out] or nil → [..., out]
    ///
    /// With GELU and a bias the mask is applied in the GEMM's epilogue, to the output and to the
    /// GELU′ kept for the backward pass (no pass of its own); otherwise it is a separate multiply.
    public func linear(weight: Tensor, bias: Tensor?, activation: FusedActivation = .identity,
                       dropoutFactors: [Float]? = nil) throws -> Tensor {
        guard rank >= 2, weight.rank == 2, weight.shape[1] == shape[rank - 1], bias.map({ $0.shape == [weight.shape[0]] }) ?? true else {
            throw TensorError.shapeMismatch(operation: "linear (input [..., in], weight [out, in], bias [out])", lhs: shape, rhs: weight.shape)
        }
        let (inputs, outputs) = (weight.shape[1], weight.shape[0])
        let rows = count / Swift.max(inputs, 1)
        if let dropoutFactors {
            guard dropoutFactors.count == rows * outputs else {
                throw TensorError.shapeMismatch(operation: "linear dropout factors (one per output element)",
                                                lhs: [dropoutFactors.count], rhs: [rows * outputs])
            }
            guard activation == .gelu, bias != nil else {
                let y = try linear(weight: weight, bias: bias, activation: activation)
                return try y * Tensor(unchecked: dropoutFactors, shape: y.shape)
            }
        }
        if activation == .gelu, let bias {
            // Bias and GELU in the GEMM's epilogue (sgemmBiasGelu), bit-identical to the GEMM,
            // biasGeluForward and geluBackward's factor. Without a recorded graph (the same test
            // as `Tensor.record`) GELU overwrites C in place; with one, C keeps GELU′(pre) for
            // the backward pass while GELU(pre) goes to the output.
            let records = GradMode.isEnabled && (requiresGrad || weight.requiresGrad || bias.requiresGrad)
            func product(into c: UnsafeMutableBufferPointer<Float>, output: UnsafeMutableBufferPointer<Float>) {
                guard rows > 0 else { return }
                scalars.withUnsafeBufferPointer { px in
                    weight.scalars.withUnsafeBufferPointer { pw in
                        bias.scalars.withUnsafeBufferPointer { pb in
                            withOptionalBuffer(dropoutFactors) { mask in
                                sgemmBiasGelu(transA: false, transB: true, m: rows, n: outputs, k: inputs, alpha: 1, a: px, lda: inputs,
                                              b: pw, ldb: inputs, bias: pb, c: c, ldc: outputs, output: output, keepingDerivative: records,
                                              mask: mask)
                            }
                        }
                    }
                }
            }
            let outShape = Array(shape.dropLast()) + [outputs]
            guard records else {
                return Tensor(unchecked: uninitializedScalars(rows * outputs) { product(into: $0, output: $0) }, shape: outShape)
            }
            var derivative = [Float]()
            let out = uninitializedScalars(rows * outputs) { po in
                derivative = uninitializedScalars(rows * outputs) { product(into: $0, output: po) }
            }
            return Tensor.record(.fused(LinearRule(activation: activation, preActivation: nil, geluDerivative: derivative)),
                                 inputs: [self, weight, bias], output: Tensor(unchecked: out, shape: outShape))
        }
        // No activation, or GELU without a bias: the bias (if any) goes into the GEMM's write-back.
        let pre = uninitializedScalars(rows * outputs) { pc in
            guard rows > 0 else { return }
            scalars.withUnsafeBufferPointer { px in
                weight.scalars.withUnsafeBufferPointer { pw in
                    if let bias {
                        // The bias enters each tile of C in the GEMM's write-back (sgemmBias):
                        // bit-identical to broadcasting it into C and a beta = 1 product.
                        bias.scalars.withUnsafeBufferPointer { pb in
                            sgemmBias(transA: false, transB: true, m: rows, n: outputs, k: inputs, alpha: 1, a: px, lda: inputs,
                                      b: pw, ldb: inputs, bias: pb, c: pc, ldc: outputs)
                        }
                    } else {
                        sgemm(transA: false, transB: true, m: rows, n: outputs, k: inputs, alpha: 1, a: px, lda: inputs,
                              b: pw, ldb: inputs, beta: 0, c: pc, ldc: outputs)
                    }
                }
            }
        }
        let outShape = Array(shape.dropLast()) + [outputs]
        let out = activation != .gelu ? pre : uninitializedScalars(pre.count) { po in
            pre.withUnsafeBufferPointer { geluForward(x: $0, y: po) }
        }
        let rule = LinearRule(activation: activation, preActivation: activation == .gelu ? pre : nil)
        return Tensor.record(.fused(rule), inputs: [self] + [weight] + (bias.map { [$0] } ?? []),
                             output: Tensor(unchecked: out, shape: outShape))
    }
}

/// Backward of `linear`: g ← g ⊙ act′(pre); dx = g·W, dW = gᵀ·x, db = Σ_rows g.
struct LinearRule: FusedRule {
    let activation: Tensor.FusedActivation
    let preActivation: [Float]?
    var geluDerivative: [Float]? = nil

    func gradients(inputs x: [Tensor], upstream g: Tensor, needs: [Bool]) throws -> [Tensor?] {
        let (input, weight) = (x[0], x[1])
        let (inputs, outputs) = (weight.shape[1], weight.shape[0])
        let rows = g.count / Swift.max(outputs, 1)
        // g ⊙ GELU′ and db = Σ_rows of it in one pass over g (blocks still in cache): GELU′ kept
        // by the forward GEMM's epilogue (no erf here) or computed from the pre-activation.
        // The column sums are a by-product, kept when there is a bias.
        var gp = g.scalars
        var db: [Float]? = nil
        let wantsBias = x.count > 2 && needs[2]
        if geluDerivative != nil || preActivation != nil {
            var sums = [Float]()
            gp = uninitializedScalars(g.count) { pd in
                sums = uninitializedScalars(outputs) { pb in
                    g.scalars.withUnsafeBufferPointer { pg in
                        withOptionalBuffer(geluDerivative) { deriv in
                            withOptionalBuffer(geluDerivative == nil ? preActivation : nil) { pre in
                                linearBiasBackward(outputGradient: pg, geluInput: pre, geluDerivative: deriv, scaled: pd,
                                                   biasGradient: pb, rows: rows, cols: outputs)
                            }
                        }
                    }
                }
            }
            if wantsBias { db = sums }
        } else if wantsBias {
            db = uninitializedScalars(outputs) { pb in
                gp.withUnsafeBufferPointer { linearBiasBackward(outputGradient: $0, geluInput: nil, scaled: nil, biasGradient: pb, rows: rows, cols: outputs) }
            }
        }
        var result: [Tensor?] = [nil, nil]
        gp.withUnsafeBufferPointer { pg in
            if needs[0] {
                let dx = uninitializedScalars(input.count) { pd in
                    weight.scalars.withUnsafeBufferPointer { pw in
                        sgemm(transA: false, transB: false, m: rows, n: inputs, k: outputs, alpha: 1, a: pg, lda: outputs,
                              b: pw, ldb: inputs, beta: 0, c: pd, ldc: inputs)
                    }
                }
                result[0] = Tensor(unchecked: dx, shape: input.shape)
            }
            if needs[1] {
                let dw = uninitializedScalars(weight.count) { pd in
                    input.scalars.withUnsafeBufferPointer { px in
                        sgemm(transA: true, transB: false, m: outputs, n: inputs, k: rows, alpha: 1, a: pg, lda: outputs,
                              b: px, ldb: inputs, beta: 0, c: pd, ldc: inputs)
                    }
                }
                result[1] = Tensor(unchecked: dw, shape: weight.shape)
            }
            if x.count > 2 {
                // db = Σ_rows g (computed above: blocked Float sums, Double totals).
                result.append(db.map { Tensor(unchecked: $0, shape: [outputs]) })
            }
        }
        return result
    }
}
