/// The kernels one backend module (AVX-512, AVX2, portable) provides, as function values.
///
/// Every backend builds its table from the same shared source
/// (`Sources/KernelsShared/KernelTableExport.swift`, symlinked into each backend), and
/// `TLKernels` picks one table at run time from the CPU's features: one dispatch mechanism
/// for every kernel, with no per-kernel switch to keep in step. Calls go through a closure
/// once per kernel call (per GEMM, per convolution row chunk), never per element or tile.
///
/// Shapes and contracts are those of the backend functions named in each field.
public struct KernelTable: Sendable {
    /// "avx512", "avx2" or "portable".
    public let name: String
    /// `gemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`: single-threaded SGEMM,
    /// C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C.
    public let gemm: @Sendable (_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                                _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                                _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) -> Void
    /// `gemmBias(transA:transB:m:n:k:alpha:a:lda:b:ldb:bias:c:ldc:)`: single-threaded
    /// C[m, n] = alpha · op(A) · op(B) + bias (bias[n] added to every row, old C ignored).
    public let gemmBias: @Sendable (_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                                    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                                    _ bias: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) -> Void
    /// `gemmBiasGelu(transA:transB:m:n:k:alpha:a:lda:b:ldb:bias:c:ldc:out:derivative:mask:)`: single-threaded
    /// pre = alpha · op(A) · op(B) + bias (old C ignored), out = GELU(pre)·mask (row stride ldc; mask 1
    /// when nil), C = GELU′(pre)·mask when `derivative`, else pre (then out may be c).
    public let gemmBiasGelu: @Sendable (_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                                        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                                        _ bias: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
                                        _ out: UnsafeMutablePointer<Float>, _ derivative: Bool, _ mask: UnsafePointer<Float>?) -> Void
    /// `softmaxRows(x:y:rows:cols:)`: x, y: [rows, cols].
    public let softmaxRows: @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void
    /// `softmaxBackwardRows(y:dy:dx:rows:cols:)`.
    public let softmaxBackwardRows: @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void
    /// `layerNormRows(x:gamma:beta:y:mean:rstd:rows:cols:eps:)`.
    public let layerNormRows: @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>,
                                         UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int, Int, Float) -> Void
    /// `addLayerNormRows(x:residual:dropout:gamma:beta:z:y:mean:rstd:rows:cols:eps:)`: z = x + r ⊙ f, y = LayerNorm(z).
    public let addLayerNormRows: @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>?, UnsafePointer<Float>,
                                            UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                            UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int, Int, Float) -> Void
    /// `layerNormBackwardRows(x:dy:gamma:mean:rstd:dx:dgamma:dbeta:rows:cols:)`.
    public let layerNormBackwardRows: @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                                 UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                                 UnsafeMutablePointer<Float>, Int, Int) -> Void
    /// `gelu(x:y:count:)` (erf form).
    public let gelu: @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
    /// `geluBackward(x:dy:dx:count:)`.
    public let geluBackward: @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
    /// `convForwardDirectRows(xp:paddedHeight:paddedWidth:channels:kernelH:kernelW:strideH:strideW:outH:outW:weight:bias:outChannels:rowStart:rowEnd:out:)`.
    public let convForwardDirectRows: @Sendable (_ xp: UnsafePointer<Float>, _ paddedHeight: Int, _ paddedWidth: Int, _ channels: Int,
                                                 _ kernelH: Int, _ kernelW: Int, _ strideH: Int, _ strideW: Int, _ outH: Int, _ outW: Int,
                                                 _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, _ outChannels: Int,
                                                 _ rowStart: Int, _ rowEnd: Int, _ out: UnsafeMutablePointer<Float>) -> Void
    /// `convWeightGradientDirect(xp:paddedHeight:paddedWidth:channels:kernelH:kernelW:strideH:strideW:outH:outW:dy:outChannels:imageStart:imageEnd:dwT:)`.
    public let convWeightGradientDirect: @Sendable (_ xp: UnsafePointer<Float>, _ paddedHeight: Int, _ paddedWidth: Int, _ channels: Int,
                                                    _ kernelH: Int, _ kernelW: Int, _ strideH: Int, _ strideW: Int, _ outH: Int, _ outW: Int,
                                                    _ dy: UnsafePointer<Float>, _ outChannels: Int, _ imageStart: Int, _ imageEnd: Int,
                                                    _ dwT: UnsafeMutablePointer<Float>) -> Void
    /// `convDirectReadSlack(channels:strideW:paddedWidth:)`: floats the direct kernels may read past a padded input.
    public let convDirectReadSlack: @Sendable (_ channels: Int, _ strideW: Int, _ paddedWidth: Int) -> Int
    /// Output-channel multiple the direct convolution kernels need.
    public let convDirectChannelMultiple: Int
    /// Output-channel width of the narrow direct convolution tile: the weight gradient takes
    /// Cout ≤ this padded to exactly this.
    public let convDirectNarrowChannels: Int
    /// `depthwiseForwardRows`: output rows `rows` of a depthwise convolution, weight [KH, KW, C],
    /// optional bias [C], output clamped to [lower, upper].
    public let depthwiseForwardRows: @Sendable (_ x: UnsafePointer<Float>, _ g: DepthwiseGeometry, _ weight: UnsafePointer<Float>,
                                                _ bias: UnsafePointer<Float>?, _ lower: Float, _ upper: Float, _ rows: Range<Int>,
                                                _ out: UnsafeMutablePointer<Float>) -> Void
    /// `depthwiseBackwardInputImages`: dx of images `images` (overwritten).
    public let depthwiseBackwardInputImages: @Sendable (_ dy: UnsafePointer<Float>, _ g: DepthwiseGeometry, _ weight: UnsafePointer<Float>,
                                                        _ images: Range<Int>, _ dx: UnsafeMutablePointer<Float>) -> Void
    /// `depthwiseBackwardWeightImages`: adds images `images`' weight gradient into dw [KH, KW, C].
    public let depthwiseBackwardWeightImages: @Sendable (_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ g: DepthwiseGeometry,
                                                         _ images: Range<Int>, _ dw: UnsafeMutablePointer<Float>) -> Void
    /// `channelAffineRows`: out = clamp(x · scale + shift (+ residual), lower, upper) per row; [rows, cols].
    public let channelAffineRows: @Sendable (_ x: UnsafePointer<Float>, _ scale: UnsafePointer<Float>, _ shift: UnsafePointer<Float>,
                                             _ residual: UnsafePointer<Float>?, _ lower: Float, _ upper: Float, _ cols: Int,
                                             _ rows: Range<Int>, _ out: UnsafeMutablePointer<Float>) -> Void
    /// Training-mode BatchNorm reductions and backward pass (BatchNormKernels.swift).
    public let batchNorm: BatchNormKernels
    /// Fused attention, one (batch, head) block per call (AttentionKernels.swift).
    public let attention: AttentionKernels
    /// `convCol2ImGather`: one image's convolution input gradient dx [H, W, C] (overwritten) from
    /// its patch gradients dP [OH·OW, KH·KW·C] (+ 16 readable floats); `g` in DepthwiseGeometry's
    /// fields (channels = input channels, batch unused).
    public let convCol2ImGather: @Sendable (_ dp: UnsafePointer<Float>, _ g: DepthwiseGeometry, _ dx: UnsafeMutablePointer<Float>) -> Void

    public init(name: String,
                gemm: @escaping @Sendable (Bool, Bool, Int, Int, Int, Float, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int,
                                           Float, UnsafeMutablePointer<Float>, Int) -> Void,
                gemmBias: @escaping @Sendable (Bool, Bool, Int, Int, Int, Float, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int,
                                               UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                gemmBiasGelu: @escaping @Sendable (Bool, Bool, Int, Int, Int, Float, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int,
                                                   UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, UnsafeMutablePointer<Float>, Bool,
                                                   UnsafePointer<Float>?) -> Void,
                softmaxRows: @escaping @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void,
                softmaxBackwardRows: @escaping @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void,
                layerNormRows: @escaping @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>,
                                                    UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int, Int, Float) -> Void,
                addLayerNormRows: @escaping @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>?, UnsafePointer<Float>,
                                                       UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                                       UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int, Int, Float) -> Void,
                layerNormBackwardRows: @escaping @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                                            UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                                            UnsafeMutablePointer<Float>, Int, Int) -> Void,
                gelu: @escaping @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                geluBackward: @escaping @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                convForwardDirectRows: @escaping @Sendable (UnsafePointer<Float>, Int, Int, Int, Int, Int, Int, Int, Int, Int,
                                                            UnsafePointer<Float>, UnsafePointer<Float>?, Int, Int, Int, UnsafeMutablePointer<Float>) -> Void,
                convWeightGradientDirect: @escaping @Sendable (UnsafePointer<Float>, Int, Int, Int, Int, Int, Int, Int, Int, Int,
                                                               UnsafePointer<Float>, Int, Int, Int, UnsafeMutablePointer<Float>) -> Void,
                convDirectReadSlack: @escaping @Sendable (Int, Int, Int) -> Int,
                convDirectChannelMultiple: Int,
                convDirectNarrowChannels: Int,
                depthwiseForwardRows: @escaping @Sendable (UnsafePointer<Float>, DepthwiseGeometry, UnsafePointer<Float>, UnsafePointer<Float>?,
                                                           Float, Float, Range<Int>, UnsafeMutablePointer<Float>) -> Void,
                depthwiseBackwardInputImages: @escaping @Sendable (UnsafePointer<Float>, DepthwiseGeometry, UnsafePointer<Float>, Range<Int>,
                                                                   UnsafeMutablePointer<Float>) -> Void,
                depthwiseBackwardWeightImages: @escaping @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, DepthwiseGeometry, Range<Int>,
                                                                    UnsafeMutablePointer<Float>) -> Void,
                channelAffineRows: @escaping @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>?,
                                                        Float, Float, Int, Range<Int>, UnsafeMutablePointer<Float>) -> Void,
                batchNorm: BatchNormKernels,
                attention: AttentionKernels,
                convCol2ImGather: @escaping @Sendable (UnsafePointer<Float>, DepthwiseGeometry, UnsafeMutablePointer<Float>) -> Void) {
        self.name = name
        self.gemm = gemm
        self.gemmBias = gemmBias
        self.gemmBiasGelu = gemmBiasGelu
        self.softmaxRows = softmaxRows
        self.softmaxBackwardRows = softmaxBackwardRows
        self.layerNormRows = layerNormRows
        self.addLayerNormRows = addLayerNormRows
        self.layerNormBackwardRows = layerNormBackwardRows
        self.gelu = gelu
        self.geluBackward = geluBackward
        self.convForwardDirectRows = convForwardDirectRows
        self.convWeightGradientDirect = convWeightGradientDirect
        self.convDirectReadSlack = convDirectReadSlack
        self.convDirectChannelMultiple = convDirectChannelMultiple
        self.convDirectNarrowChannels = convDirectNarrowChannels
        self.depthwiseForwardRows = depthwiseForwardRows
        self.depthwiseBackwardInputImages = depthwiseBackwardInputImages
        self.depthwiseBackwardWeightImages = depthwiseBackwardWeightImages
        self.channelAffineRows = channelAffineRows
        self.batchNorm = batchNorm
        self.attention = attention
        self.convCol2ImGather = convCol2ImGather
    }
}

/// Geometry of a depthwise convolution over channels-last images, per-side padding
/// (only the top and left amounts matter to the kernels; the output size fixes the rest).
///
///     x: [N, height, width, channels] → [N, outH, outW, channels]
public struct DepthwiseGeometry: Sendable, Hashable {
    public var batch: Int, height: Int, width: Int, channels: Int
    public var kernelH: Int, kernelW: Int, strideH: Int, strideW: Int
    public var padTop: Int, padLeft: Int
    public var outH: Int, outW: Int

    public init(batch: Int, height: Int, width: Int, channels: Int, kernelH: Int, kernelW: Int, strideH: Int, strideW: Int,
                padTop: Int, padLeft: Int, outH: Int, outW: Int) {
        self.batch = batch; self.height = height; self.width = width; self.channels = channels
        self.kernelH = kernelH; self.kernelW = kernelW; self.strideH = strideH; self.strideW = strideW
        self.padTop = padTop; self.padLeft = padLeft; self.outH = outH; self.outW = outW
    }
}
