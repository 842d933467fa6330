import TLKernelTable

/// This backend's kernels as one table (the same source is compiled into every backend module;
/// `TLKernels` selects a table at run time).
public let kernelTable = KernelTable(
    name: backendName,
    gemm: { gemm(transA: $0, transB: $1, m: $2, n: $3, k: $4, alpha: $5, a: $6, lda: $7, b: $8, ldb: $9, beta: $10, c: $11, ldc: $12) },
    gemmBias: { gemmBias(transA: $0, transB: $1, m: $2, n: $3, k: $4, alpha: $5, a: $6, lda: $7, b: $8, ldb: $9, bias: $10, c: $11, ldc: $12) },
    gemmBiasGelu: {
        gemmBiasGelu(transA: $0, transB: $1, m: $2, n: $3, k: $4, alpha: $5, a: $6, lda: $7, b: $8, ldb: $9, bias: $10, c: $11,
                     ldc: $12, out: $13, derivative: $14, mask: $15)
    },
    softmaxRows: { softmaxRows(x: $0, y: $1, rows: $2, cols: $3) },
    softmaxBackwardRows: { softmaxBackwardRows(y: $0, dy: $1, dx: $2, rows: $3, cols: $4) },
    layerNormRows: { layerNormRows(x: $0, gamma: $1, beta: $2, y: $3, mean: $4, rstd: $5, rows: $6, cols: $7, eps: $8) },
    addLayerNormRows: {
        addLayerNormRows(x: $0, residual: $1, dropout: $2, gamma: $3, beta: $4, z: $5, y: $6, mean: $7, rstd: $8, rows: $9, cols: $10, eps: $11)
    },
    layerNormBackwardRows: { layerNormBackwardRows(x: $0, dy: $1, gamma: $2, mean: $3, rstd: $4, dx: $5, dgamma: $6, dbeta: $7, rows: $8, cols: $9) },
    gelu: { gelu(x: $0, y: $1, count: $2) },
    geluBackward: { geluBackward(x: $0, dy: $1, dx: $2, count: $3) },
    convForwardDirectRows: {
        convForwardDirectRows(xp: $0, paddedHeight: $1, paddedWidth: $2, channels: $3, kernelH: $4, kernelW: $5, strideH: $6, strideW: $7,
                              outH: $8, outW: $9, weight: $10, bias: $11, outChannels: $12, rowStart: $13, rowEnd: $14, out: $15)
    },
    convWeightGradientDirect: {
        convWeightGradientDirect(xp: $0, paddedHeight: $1, paddedWidth: $2, channels: $3, kernelH: $4, kernelW: $5, strideH: $6,
                                 strideW: $7, outH: $8, outW: $9, dy: $10, outChannels: $11, imageStart: $12, imageEnd: $13, dwT: $14)
    },
    convDirectReadSlack: { convDirectReadSlack(channels: $0, strideW: $1, paddedWidth: $2) },
    convDirectChannelMultiple: convDirectChannelMultiple,
    convDirectNarrowChannels: convDirectNarrowChannels,
    depthwiseForwardRows: { x, g, w, b, lo, hi, rows, out in
        depthwiseForwardRows(x: x, height: g.height, width: g.width, channels: g.channels, kernelH: g.kernelH, kernelW: g.kernelW,
                             strideH: g.strideH, strideW: g.strideW, padTop: g.padTop, padLeft: g.padLeft, outH: g.outH, outW: g.outW,
                             weight: w, bias: b, lower: lo, upper: hi, rowStart: rows.lowerBound, rowEnd: rows.upperBound, out: out)
    },
    depthwiseBackwardInputImages: { dy, g, w, images, dx in
        depthwiseBackwardInputImages(dy: dy, height: g.height, width: g.width, channels: g.channels, kernelH: g.kernelH,
                                     kernelW: g.kernelW, strideH: g.strideH, strideW: g.strideW, padTop: g.padTop, padLeft: g.padLeft,
                                     outH: g.outH, outW: g.outW, weight: w, imageStart: images.lowerBound, imageEnd: images.upperBound, dx: dx)
    },
    depthwiseBackwardWeightImages: { x, dy, g, images, dw in
        depthwiseBackwardWeightImages(x: x, dy: dy, height: g.height, width: g.width, channels: g.channels, kernelH: g.kernelH,
                                      kernelW: g.kernelW, strideH: g.strideH, strideW: g.strideW, padTop: g.padTop, padLeft: g.padLeft,
                                      outH: g.outH, outW: g.outW, imageStart: images.lowerBound, imageEnd: images.upperBound, dw: dw)
    },
    channelAffineRows: { x, scale, shift, residual, lo, hi, cols, rows, out in
        channelAffineRows(x: x, scale: scale, shift: shift, residual: residual, lower: lo, upper: hi, cols: cols,
                          rowStart: rows.lowerBound, rowEnd: rows.upperBound, out: out)
    },
    batchNorm: BatchNormKernels(
        statisticsSums: { batchNormStatisticsSums(x: $0, cols: $1, rowStart: $2.lowerBound, rowEnd: $2.upperBound, sums: $3) },
        backwardSums: {
            batchNormBackwardSums(x: $0, dy: $1, scale: $2, shift: $3, mean: $4, rstd: $5, lower: $6, upper: $7, cols: $8,
                                  rowStart: $9.lowerBound, rowEnd: $9.upperBound, sums: $10)
        },
        backwardRows: {
            batchNormBackwardRows(x: $0, dy: $1, scale: $2, shift: $3, mean: $4, rstd: $5, a: $6, b: $7, lower: $8, upper: $9,
                                  cols: $10, rowStart: $11.lowerBound, rowEnd: $11.upperBound, dx: $12)
        }),
    attention: AttentionKernels(
        workspaceFloats: { attentionBlockWorkspaceFloats(tokens: $0, headSize: $1) },
        forwardBlock: {
            attentionForwardBlock(q: $0, k: $1, v: $2, keyMask: $3, dropout: $4, probabilities: $5, context: $6, shape: $7, workspace: $8)
        },
        backwardBlock: {
            attentionBackwardBlock(q: $0, k: $1, v: $2, probabilities: $3, dropout: $4, contextGradient: $5, dq: $6, dk: $7, dv: $8,
                                   shape: $9, workspace: $10)
        }),
    convCol2ImGather: { dp, g, dx in
        convCol2ImGather(dp: dp, height: g.height, width: g.width, channels: g.channels, kernelH: g.kernelH, kernelW: g.kernelW,
                         strideH: g.strideH, strideW: g.strideW, padTop: g.padTop, padLeft: g.padLeft, outH: g.outH, outW: g.outW,
                         dx: dx)
    })
