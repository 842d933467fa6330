// Fused attention, one (batch, head) block per call (compiled once per backend module, like
// GemmDriver.swift). TLKernels' attentionForward / attentionBackward hand each thread whole
// blocks and one workspace (attentionBlockWorkspaceFloats), so the six small products of a
// block allocate nothing, and the element-wise steps (mask, dropout) run in this backend's
// vectors instead of TLKernels' generic code. The steps run in the same order on the same
// values and each product gives the bits the backend's `gemm` gave (the scaled ones: see
// `prescales`), so results are bit-identical to the per-product calls this replaced. Issue 14,
// MiniLM's shape (tl-bench attn-fused-*), 1 thread: forward 4.6–4.8 → 3.5–3.6 ms, backward
// 6.9–7.0 → 4.8 ms per layer. The softmax and its dropout, and the backward pass's element-wise
// steps, run as fused row passes (AttentionRows.swift; measured there); AttentionCompositeTests
// checks every block against the step-by-step composite, bit for bit. The math and shapes:
// Sources/TLKernels/Attention.swift.

import TLKernelTable

/// Floats of one thread's workspace for blocks of `tokens` × `headSize`: two scratch matrices
/// and one GEMM workspace large enough for every product of a block; a multiple of 16 (64
/// bytes), so consecutive workspaces stay aligned.
public func attentionBlockWorkspaceFloats(tokens t: Int, headSize dh: Int) -> Int {
    let gemmFloats = max(gemmWorkspaceFloats(m: t, n: t, k: dh), gemmWorkspaceFloats(m: t, n: dh, k: t))
    return roundUp(scratchFloats(tokens: t, headSize: dh) + gemmFloats, 16)
}

/// The two scratch matrices at the start of a block's workspace: [T, T] (dA, or the dropped
/// weights), then [T, max(T, dh)] (the weights A, or scale·Q).
@inline(__always) func scratchFloats(tokens t: Int, headSize dh: Int) -> Int {
    roundUp(t * t, 16) + roundUp(t * max(t, dh), 16)
}

/// Whether a block's scaled products (S, dQ, dK: t·t·dh multiply-adds each) take their scale
/// as pre-scaled rows (`scaleRows`, then alpha = 1: op(A) read in place) instead of as
/// alpha. Above `gemmSmallProductLimit` that is bit-identical (the packed driver folds alpha
/// into A with the same rounded products); at or below it the GEMM's small path multiplies
/// the finished sum by alpha instead, so the block keeps alpha there (and stays bit-identical
/// to the packed-sequence path, Attention+Sequences.swift, which passes alpha).
@inline(__always) func prescales(_ s: AttentionBlockShape) -> Bool {
    s.tokens * s.tokens * s.headSize > gemmSmallProductLimit
}

/// y[r, 0..<cols] = scale · x[r, 0..<cols] for `rows` rows (x rows `ldx` apart, y dense): the
/// product's alpha applied once, as the packed driver would fold it into A (the same rounded
/// products), so the product itself runs with alpha = 1 and reads A in place (no A packing).
@inline(__always) func scaleRows(_ x: UnsafePointer<Float>, ldx: Int, rows: Int, cols: Int, scale: Float,
                                 into y: UnsafeMutablePointer<Float>) {
    let w = VF.scalarCount, sv = VF(repeating: scale)
    for r in 0..<rows {
        let xr = x + r * ldx, yr = y + r * cols
        var j = 0
        while j + w <= cols { storeV(loadV(xr + j) * sv, yr + j); j += w }
        while j < cols { yr[j] = xr[j] * scale; j += 1 }
    }
}

/// The GEMM part of a block's workspace (after the two scratch matrices).
@inline(__always) func gemmPart(of workspace: UnsafeMutablePointer<Float>, tokens t: Int, headSize dh: Int) -> UnsafeMutableBufferPointer<Float> {
    let scratch = scratchFloats(tokens: t, headSize: dh)
    return UnsafeMutableBufferPointer(start: workspace + scratch, count: attentionBlockWorkspaceFloats(tokens: t, headSize: dh) - scratch)
}

/// y[i] = x[i] · f[i] for i in 0..<count (dropout factors applied to a block's weights).
@inline(__always) func multiplyInto(_ x: UnsafePointer<Float>, _ f: UnsafePointer<Float>,
                                    _ y: UnsafeMutablePointer<Float>, _ count: Int) {
    let w = VF.scalarCount
    var i = 0
    while i + w <= count { storeV(loadV(x + i) * loadV(f + i), y + i); i += w }
    while i < count { y[i] = x[i] * f[i]; i += 1 }
}

/// Forward pass of one block. q, k, v: the head's [T, dh] slices, rows `shape.inputStride`
/// apart; keyMask: the batch row's [T] additive mask or nil; dropout: the block's [T, T]
/// factors or nil; probabilities: the block's [T, T] softmax output (written); context: the
/// head's [T, dh] slice, rows `shape.outputStride` apart (written).
///
///     S = scale·Q·Kᵀ + mask   P = softmax_rows(S)   C = (P ⊙ drop)·V
public func attentionForwardBlock(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                  keyMask: UnsafePointer<Float>?, dropout: UnsafePointer<Float>?,
                                  probabilities p: UnsafeMutablePointer<Float>, context: UnsafeMutablePointer<Float>,
                                  shape s: AttentionBlockShape, workspace: UnsafeMutablePointer<Float>) {
    let (t, dh, ld) = (s.tokens, s.headSize, s.inputStride)
    let a = workspace, scaledQ = workspace + roundUp(t * t, 16), gemmSpace = gemmPart(of: workspace, tokens: t, headSize: dh)
    // S = (scale·Q)·Kᵀ with Q scaled once (scaleRows); the mask row enters each tile of S as
    // gemmBias's bias (S + mask[j], the same addition).
    if prescales(s) {
        scaleRows(q, ldx: ld, rows: t, cols: dh, scale: s.scale, into: scaledQ)
        gemmCore(transA: false, transB: true, m: t, n: t, k: dh, alpha: 1, a: scaledQ, lda: dh, b: k, ldb: ld,
                 beta: 0, c: p, ldc: t, bias: keyMask, workspace: gemmSpace)
    } else {
        gemmCore(transA: false, transB: true, m: t, n: t, k: dh, alpha: s.scale, a: q, lda: ld, b: k, ldb: ld,
                 beta: 0, c: p, ldc: t, bias: keyMask, workspace: gemmSpace)
    }
    softmaxDropoutRows(p, factors: dropout, weights: a, rows: t, cols: t)                    // P, and A = P ⊙ drop
    let weights = dropout == nil ? UnsafePointer(p) : UnsafePointer(a)
    gemmCore(transA: false, transB: false, m: t, n: dh, k: t, alpha: 1, a: weights, lda: t, b: v, ldb: ld,
             beta: 0, c: context, ldc: s.outputStride, bias: nil, workspace: gemmSpace)
}

/// Backward pass of one block: given the forward pass's inputs, its probabilities and dropout
/// factors and the head's slice of dC (rows `shape.outputStride` apart), overwrites the head's
/// slices of dq, dk, dv (rows `shape.inputStride` apart).
///
///     dA = dC·Vᵀ   dV = Aᵀ·dC   dP = dA ⊙ drop   dS = P ⊙ (dP − rowsum(dP ⊙ P))
///     dQ = scale·dS·K   dK = scale·dSᵀ·Q
public func attentionBackwardBlock(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                   probabilities p: UnsafePointer<Float>, dropout: UnsafePointer<Float>?,
                                   contextGradient dc: UnsafePointer<Float>, dq: UnsafeMutablePointer<Float>,
                                   dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                                   shape s: AttentionBlockShape, workspace: UnsafeMutablePointer<Float>) {
    let (t, dh, ld, ldc) = (s.tokens, s.headSize, s.inputStride, s.outputStride)
    let da = workspace, a = workspace + roundUp(t * t, 16), gemmSpace = gemmPart(of: workspace, tokens: t, headSize: dh)
    gemmCore(transA: false, transB: true, m: t, n: t, k: dh, alpha: 1, a: dc, lda: ldc, b: v, ldb: ld,
             beta: 0, c: da, ldc: t, bias: nil, workspace: gemmSpace)                         // dA [T, T]
    // A = P ⊙ drop, dP = dA ⊙ drop, dS = P ⊙ (dP − rowsum(dP ⊙ P)) (·scale when prescaled) in place of dA.
    let prescaled = prescales(s), alpha: Float = prescaled ? 1 : s.scale
    softmaxDropoutBackward(p: p, da: da, factors: dropout, weights: a, scale: prescaled ? s.scale : nil, rows: t, cols: t)
    let weights = dropout == nil ? p : UnsafePointer(a)
    gemmCore(transA: true, transB: false, m: t, n: dh, k: t, alpha: 1, a: weights, lda: t, b: dc, ldb: ldc,
             beta: 0, c: dv, ldc: ld, bias: nil, workspace: gemmSpace)                         // dV = Aᵀ·dC
    gemmCore(transA: false, transB: false, m: t, n: dh, k: t, alpha: alpha, a: da, lda: t, b: k, ldb: ld,
             beta: 0, c: dq, ldc: ld, bias: nil, workspace: gemmSpace)                         // dQ
    gemmCore(transA: true, transB: false, m: t, n: dh, k: t, alpha: alpha, a: da, lda: t, b: q, ldb: ld,
             beta: 0, c: dk, ldc: ld, bias: nil, workspace: gemmSpace)                         // dK
}
