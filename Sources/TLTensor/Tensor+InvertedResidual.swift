import TLKernels
import TLKernelTable

/// The folded parameters of one inverted-residual block for inference (BatchNorm folded
/// into per-channel scale and shift; depthwise BatchNorm folded into its weights and bias).
public struct InvertedResidualInference {
    /// Expansion 1×1 conv weight `[hidden, 1, 1, Cin]` with its BN scale and shift `[hidden]` (nil when expansion is 1).
    public var expand: (weight: Tensor, scale: Tensor, shift: Tensor)?
    /// Depthwise weight `[hidden, k, k, 1]` with BN folded in, its bias `[hidden]`, and window.
    public var depthwise: (weight: Tensor, bias: Tensor, window: Window2D)
    /// Projection 1×1 conv weight `[Cout, 1, 1, hidden]` with its BN scale and shift `[Cout]`.
    public var project: (weight: Tensor, scale: Tensor, shift: Tensor)
    /// Whether the input is added to the output.
    public var skip: Bool

    public init(expand: (weight: Tensor, scale: Tensor, shift: Tensor)?, depthwise: (weight: Tensor, bias: Tensor, window: Window2D),
                project: (weight: Tensor, scale: Tensor, shift: Tensor), skip: Bool) {
        self.expand = expand
        self.depthwise = depthwise
        self.project = project
        self.skip = skip
    }
}

extension Tensor {
    /// Inference of an inverted-residual block in image chunks small enough (~8 MB of hidden
    /// activations) to stay in cache and in reused heap memory, with every BatchNorm, ReLU6
    /// and the skip addition fused into the passes that produce them. Records nothing.
    ///
    ///     input [N, H, W, Cin] → expand GEMM + affine/ReLU6 → depthwise (+bias, ReLU6)
    ///     → project GEMM + affine (+ input) → [N, OH, OW, Cout]
    public static func invertedResidualInference(input x: Tensor, _ p: InvertedResidualInference) throws -> Tensor {
        guard x.rank == 4 else { throw TensorError.invalidArgument(operation: "invertedResidualInference", message: "expected [N, H, W, C], got \(x.shape)") }
        let (n, h, w, cin) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let hidden = p.depthwise.weight.shape[0]
        let cout = p.project.weight.shape[0]
        if let e = p.expand, e.weight.shape != [hidden, 1, 1, cin] {
            throw TensorError.shapeMismatch(operation: "invertedResidualInference expand weight", lhs: e.weight.shape, rhs: [hidden, 1, 1, cin])
        }
        guard p.expand != nil || hidden == cin, p.project.weight.shape == [cout, 1, 1, hidden] else {
            throw TensorError.shapeMismatch(operation: "invertedResidualInference project weight", lhs: p.project.weight.shape, rhs: [cout, 1, 1, hidden])
        }
        let one = try depthwiseGeometry(input: Tensor.zeros([1, h, w, hidden]), weight: p.depthwise.weight, window: p.depthwise.window,
                                        operation: "invertedResidualInference")
        let (oh, ow) = (one.outH, one.outW)
        if p.skip, (oh, ow, cout) != (h, w, cin) {
            throw TensorError.invalidArgument(operation: "invertedResidualInference", message: "a skip needs equal input and output shapes")
        }
        guard n > 0 else { return Tensor.zeros([0, oh, ow, cout]) }
        let chunk = Swift.max(1, Swift.min(n, (2 << 20) / Swift.max(1, h * w * hidden)))
        let taps = depthwiseTaps(p.depthwise.weight.scalars, channels: hidden, taps: one.kernelH * one.kernelW)
        var expanded = [Float](repeating: 0, count: p.expand == nil ? 0 : chunk * h * w * hidden)
        var hiddenOut = [Float](repeating: 0, count: chunk * oh * ow * hidden)
        let out = [Float](unsafeUninitializedCapacity: n * oh * ow * cout) { buffer, initialized in
            initialized = n * oh * ow * cout
            x.scalars.withUnsafeBufferPointer { px in
                taps.withUnsafeBufferPointer { pt in
                    p.depthwise.bias.scalars.withUnsafeBufferPointer { pdb in
                        var first = 0
                        while first < n {
                            let count = Swift.min(chunk, n - first)
                            let inRows = count * h * w, outRows = count * oh * ow
                            let xChunk = UnsafeBufferPointer(rebasing: px[(first * h * w * cin)..<((first + count) * h * w * cin)])
                            expanded.withUnsafeMutableBufferPointer { pe in
                                var dwInput = xChunk
                                if let e = p.expand {
                                    e.weight.scalars.withUnsafeBufferPointer { pw in
                                        sgemm(transA: false, transB: true, m: inRows, n: hidden, k: cin, alpha: 1, a: xChunk, lda: cin,
                                              b: pw, ldb: cin, beta: 0, c: pe, ldc: hidden)
                                    }
                                    e.scale.scalars.withUnsafeBufferPointer { ps in
                                        e.shift.scalars.withUnsafeBufferPointer { pb in
                                            channelAffineClamp(x: pe.baseAddress!, scale: ps.baseAddress!, shift: pb.baseAddress!, residual: nil,
                                                               lower: 0, upper: 6, rows: inRows, cols: hidden, out: pe.baseAddress!)
                                        }
                                    }
                                    dwInput = UnsafeBufferPointer(rebasing: pe[0..<(inRows * hidden)])
                                }
                                var g = one
                                g.batch = count
                                hiddenOut.withUnsafeMutableBufferPointer { pd in
                                    depthwiseForward(input: dwInput, weight: pt, bias: pdb, geometry: g, lower: 0, upper: 6, output: pd)
                                    let o = UnsafeMutableBufferPointer(rebasing: buffer[(first * oh * ow * cout)..<((first + count) * oh * ow * cout)])
                                    p.project.weight.scalars.withUnsafeBufferPointer { pw in
                                        sgemm(transA: false, transB: true, m: outRows, n: cout, k: hidden, alpha: 1,
                                              a: UnsafeBufferPointer(rebasing: pd[0..<(outRows * hidden)]), lda: hidden,
                                              b: pw, ldb: hidden, beta: 0, c: o, ldc: cout)
                                    }
                                    p.project.scale.scalars.withUnsafeBufferPointer { ps in
                                        p.project.shift.scalars.withUnsafeBufferPointer { pb in
                                            channelAffineClamp(x: o.baseAddress!, scale: ps.baseAddress!, shift: pb.baseAddress!,
                                                               residual: p.skip ? xChunk.baseAddress! : nil, lower: -.infinity, upper: .infinity,
                                                               rows: outRows, cols: cout, out: o.baseAddress!)
                                        }
                                    }
                                }
                            }
                            first += count
                        }
                    }
                }
            }
        }
        return Tensor(unchecked: out, shape: [n, oh, ow, cout])
    }
}
