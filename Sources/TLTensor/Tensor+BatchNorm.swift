import TLKernels

// Training-mode BatchNorm (batch statistics) with an optional clamp (ReLU6) as one primitive:
// two passes forward, two backward (TLKernels/BatchNormTraining.swift), saving only the
// per-channel mean and 1/std, where the composite records eight full-size tensors.
extension Tensor {
    /// clamp((x − mean) / √(var + ε) · weight + bias, lower, upper) over channels-last x, with
    /// the batch mean and biased variance of each channel (last axis); returns the output and
    /// the statistics (for the running averages, not recorded).
    ///
    ///     x: [..., C], weight: [C], bias: [C] → y: [..., C], mean: [C], variance: [C]
    public func batchNormTraining(weight: Tensor, bias: Tensor, epsilon: Float, lower: Float = -.infinity,
                                  upper: Float = .infinity) throws -> (output: Tensor, mean: Tensor, variance: Tensor) {
        let (rows, cols) = rowsAndColumns
        guard rank >= 2, weight.shape == [cols], bias.shape == [cols] else {
            throw TensorError.shapeMismatch(operation: "batchNormTraining (x [..., C], weight and bias [C])", lhs: shape, rhs: weight.shape)
        }
        guard rows > 1 else {
            throw TensorError.invalidArgument(operation: "batchNormTraining", message: "needs more than one value per channel, got \(shape)")
        }
        var mean = [Float](repeating: 0, count: cols), variance = mean, rstd = mean
        let out = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            scalars.withUnsafeBufferPointer { px in
                weight.scalars.withUnsafeBufferPointer { pw in
                    bias.scalars.withUnsafeBufferPointer { pb in
                        mean.withUnsafeMutableBufferPointer { pm in
                            variance.withUnsafeMutableBufferPointer { pv in
                                rstd.withUnsafeMutableBufferPointer { pr in
                                    batchNormStatistics(x: px.baseAddress!, rows: rows, cols: cols, epsilon: epsilon,
                                                        mean: pm.baseAddress!, variance: pv.baseAddress!, rstd: pr.baseAddress!)
                                    batchNormTrainingApply(x: px.baseAddress!, mean: pm.baseAddress!, rstd: pr.baseAddress!,
                                                           weight: pw.baseAddress!, bias: pb.baseAddress!, lower: lower, upper: upper,
                                                           rows: rows, cols: cols, y: buffer.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
            initialized = count
        }
        let y = Tensor.record(.batchNormTraining(mean: mean, rstd: rstd, lower: lower, upper: upper), inputs: [self, weight, bias],
                              output: Tensor(unchecked: out, shape: shape))
        return (y, Tensor(unchecked: mean, shape: [cols]), Tensor(unchecked: variance, shape: [cols]))
    }
}

extension Primitive {
    /// Backward rule of `batchNormTraining` (inputs x, weight, bias).
    static func batchNormTrainingGradients(mean: [Float], rstd: [Float], lower: Float, upper: Float, inputs x: [Tensor],
                                           upstream g: Tensor, needs: [Bool]) -> [Tensor?] {
        let (rows, cols) = g.rowsAndColumns
        var dweight = [Float](repeating: 0, count: cols), dbias = dweight
        let dx = [Float](unsafeUninitializedCapacity: g.count) { buffer, initialized in
            x[0].scalars.withUnsafeBufferPointer { px in
                g.scalars.withUnsafeBufferPointer { pg in
                    x[1].scalars.withUnsafeBufferPointer { pw in
                        x[2].scalars.withUnsafeBufferPointer { pb in
                            dweight.withUnsafeMutableBufferPointer { pdw in
                                dbias.withUnsafeMutableBufferPointer { pdb in
                                    batchNormTrainingBackward(x: px.baseAddress!, dy: pg.baseAddress!, mean: mean, rstd: rstd,
                                                              weight: pw.baseAddress!, bias: pb.baseAddress!, lower: lower, upper: upper,
                                                              rows: rows, cols: cols, dx: buffer.baseAddress!,
                                                              dweight: pdw.baseAddress!, dbias: pdb.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
            initialized = g.count
        }
        return [needs[0] ? Tensor(unchecked: dx, shape: g.shape) : nil,
                needs[1] ? Tensor(unchecked: dweight, shape: [cols]) : nil,
                needs[2] ? Tensor(unchecked: dbias, shape: [cols]) : nil]
    }
}
