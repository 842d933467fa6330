import Foundation

/// Binary elementwise operations on contiguous Float buffers.
public enum BinaryKernel: Sendable {
    case add, subtract, multiply, divide

    @inline(__always)
    public func apply(_ a: Float, _ b: Float) -> Float {
        switch self {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        }
    }

    @inline(__always)
    public func apply(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        switch self {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        }
    }
}

// out[i] = a[i] ∘ b[i]            a, b, out: [n]
/// Applies `op` elementwise to two equally long buffers. `out` may alias `a` or `b`.
public func binaryContiguous(_ op: BinaryKernel, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                             _ out: UnsafeMutablePointer<Float>, count n: Int) {
    // The switch is hoisted out of the loop so each arm is a tight SIMD16 loop.
    switch op {
    case .add: binaryLoop(a, b, out, n, { $0 + $1 }, { $0 + $1 })
    case .subtract: binaryLoop(a, b, out, n, { $0 - $1 }, { $0 - $1 })
    case .multiply: binaryLoop(a, b, out, n, { $0 * $1 }, { $0 * $1 })
    case .divide: binaryLoop(a, b, out, n, { $0 / $1 }, { $0 / $1 })
    }
}

@inline(__always)
private func binaryLoop(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int,
                        _ v: (SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>, _ s: (Float, Float) -> Float) {
    var i = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b), ro = UnsafeMutableRawPointer(out)
    while i + 16 <= n {
        let x = ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        let y = rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        ro.storeBytes(of: v(x, y), toByteOffset: i * 4, as: SIMD16<Float>.self)
        i += 16
    }
    while i < n { out[i] = s(a[i], b[i]); i += 1 }
}

// out[i] = a[i] ∘ s               a, out: [n]
/// Applies `op` with a scalar right operand.
public func binaryScalarRight(_ op: BinaryKernel, _ a: UnsafePointer<Float>, _ s: Float,
                              _ out: UnsafeMutablePointer<Float>, count n: Int) {
    let sv = SIMD16<Float>(repeating: s)
    var i = 0
    let ra = UnsafeRawPointer(a), ro = UnsafeMutableRawPointer(out)
    while i + 16 <= n {
        let x = ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        ro.storeBytes(of: op.apply(x, sv), toByteOffset: i * 4, as: SIMD16<Float>.self)
        i += 16
    }
    while i < n { out[i] = op.apply(a[i], s); i += 1 }
}

// out[i] = s ∘ b[i]               b, out: [n]
/// Applies `op` with a scalar left operand.
public func binaryScalarLeft(_ op: BinaryKernel, _ s: Float, _ b: UnsafePointer<Float>,
                             _ out: UnsafeMutablePointer<Float>, count n: Int) {
    let sv = SIMD16<Float>(repeating: s)
    var i = 0
    let rb = UnsafeRawPointer(b), ro = UnsafeMutableRawPointer(out)
    while i + 16 <= n {
        let y = rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        ro.storeBytes(of: op.apply(sv, y), toByteOffset: i * 4, as: SIMD16<Float>.self)
        i += 16
    }
    while i < n { out[i] = op.apply(s, b[i]); i += 1 }
}

/// Naive twin of `binaryContiguous` (scalar loop).
public func binaryContiguousReference(_ op: BinaryKernel, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                      _ out: UnsafeMutablePointer<Float>, count n: Int) {
    for i in 0..<n { out[i] = op.apply(a[i], b[i]) }
}

/// Unary elementwise operations.
public enum UnaryKernel: Sendable {
    case negate, abs, relu, exp, log, sqrt, tanh, sigmoid, gelu
}

// out[i] = f(x[i])                x, out: [n]
/// Applies a unary function elementwise. Cheap ops are SIMD16 loops; transcendental ones
/// call libm per element (a vectorised exp/tanh is the fast-kernel issue's business).
public func unaryContiguous(_ op: UnaryKernel, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count n: Int) {
    switch op {
    case .negate: simdUnary(x, out, n, { -$0 }, { -$0 })
    case .abs: simdUnary(x, out, n, { $0.replacing(with: -$0, where: $0 .< 0) }, { Swift.abs($0) })
    case .relu: simdUnary(x, out, n, { $0.replacing(with: 0, where: $0 .< 0) }, { $0 > 0 ? $0 : 0 })
    case .sqrt: simdUnary(x, out, n, { $0.squareRoot() }, { $0.squareRoot() })
    default: for i in 0..<n { out[i] = scalarUnary(op, x[i]) }
    }
}

@inline(__always)
private func simdUnary(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int,
                       _ v: (SIMD16<Float>) -> SIMD16<Float>, _ s: (Float) -> Float) {
    var i = 0
    let rx = UnsafeRawPointer(x), ro = UnsafeMutableRawPointer(out)
    while i + 16 <= n {
        ro.storeBytes(of: v(rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)),
                      toByteOffset: i * 4, as: SIMD16<Float>.self)
        i += 16
    }
    while i < n { out[i] = s(x[i]); i += 1 }
}

/// The scalar definition of every unary op: this is also the naive reference.
@inline(__always)
public func scalarUnary(_ op: UnaryKernel, _ v: Float) -> Float {
    switch op {
    case .negate: return -v
    case .abs: return Swift.abs(v)
    case .relu: return v > 0 ? v : 0
    case .exp: return Foundation.exp(v)
    case .log: return Foundation.log(v)
    case .sqrt: return v.squareRoot()
    case .tanh: return Foundation.tanh(v)
    case .sigmoid:
        // Split by sign so exp never overflows: for v < 0 use e^v / (1 + e^v).
        if v >= 0 { return 1 / (1 + Foundation.exp(-v)) }
        let e = Foundation.exp(v)
        return e / (1 + e)
    case .gelu:
        // Exact (erf) form used by BERT: x · Φ(x) = 0.5 · x · (1 + erf(x / √2)).
        return 0.5 * v * (1 + Foundation.erf(v * 0.707_106_781_186_547_5))
    }
}

/// Naive twin of `unaryContiguous`.
public func unaryContiguousReference(_ op: UnaryKernel, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count n: Int) {
    for i in 0..<n { out[i] = scalarUnary(op, x[i]) }
}

// out[i] = x[i] > 0 ? g[i] : 0    x, g, out: [n]
/// ReLU's backward in one pass: the upstream gradient where the input was positive, 0
/// elsewhere (also where `g` is not finite, as PyTorch's `threshold_backward`). `out` may
/// alias `g`.
public func reluBackward(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count n: Int) {
    let zero = SIMD16<Float>(repeating: 0)
    let rx = UnsafeRawPointer(x), rg = UnsafeRawPointer(g), ro = UnsafeMutableRawPointer(out)
    var i = 0
    while i + 16 <= n {
        let xv = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        let gv = rg.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        ro.storeBytes(of: zero.replacing(with: gv, where: xv .> zero), toByteOffset: i * 4, as: SIMD16<Float>.self)
        i += 16
    }
    while i < n { out[i] = x[i] > 0 ? g[i] : 0; i += 1 }
}

/// Naive twin of `reluBackward`.
public func reluBackwardReference(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count n: Int) {
    for i in 0..<n {
        if x[i] > 0 { out[i] = g[i] } else { out[i] = 0 }
    }
}

// out[i] = max(a[i] + b[i], 0)   a, b, out: [n]
/// A residual block's tail, (a + b).relu(), in one pass: the sum rounded once, then exactly
/// the ReLU of `unaryContiguous` (SIMD16 blocks from index 0, scalar tail), so the result is
/// bit-identical to the two passes it replaces. `out` may alias `a` or `b`.
public func addRelu(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count n: Int) {
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b), ro = UnsafeMutableRawPointer(out)
    var i = 0
    while i + 16 <= n {
        let v = ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            + rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        ro.storeBytes(of: v.replacing(with: 0, where: v .< 0), toByteOffset: i * 4, as: SIMD16<Float>.self)
        i += 16
    }
    while i < n { let v = a[i] + b[i]; out[i] = v > 0 ? v : 0; i += 1 }
}

/// Naive twin of `addRelu`: the sum, then the scalar ReLU.
public func addReluReference(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count n: Int) {
    for i in 0..<n { out[i] = scalarUnary(.relu, a[i] + b[i]) }
}

// out[i·cols + j] = a[i·cols + j] ∘ b[j]   (bOnLeft: b[j] ∘ a[i·cols + j])
//                                         a, out: [rows, cols], b: [cols]
/// A row vector broadcast over the rows of a matrix (a bias add over channels-last
/// activations). Narrow rows (a few channels) would cost one call per row; instead `b` is
/// tiled to about 256 floats and whole groups of rows run as one contiguous loop. Same
/// operation per element as `binaryContiguous`: bit-identical to the naive loop. `out` may alias `a`.
/// Rows are split across threads like `parallelElements` splits a pass of 3 streams (the
/// transformer's position-embedding add, [32, 64·128] + [64·128], ran on one core).
public func binaryRowBroadcast(_ op: BinaryKernel, _ a: UnsafePointer<Float>, rows: Int, cols: Int,
                               _ b: UnsafePointer<Float>, bOnLeft: Bool, _ out: UnsafeMutablePointer<Float>) {
    binaryRowBroadcast(.current, op, a, rows: rows, cols: cols, b, bOnLeft: bOnLeft, out)
}

func binaryRowBroadcast(_ ctx: KernelContext, _ op: BinaryKernel, _ a: UnsafePointer<Float>, rows: Int, cols: Int,
                        _ b: UnsafePointer<Float>, bOnLeft: Bool, _ out: UnsafeMutablePointer<Float>) {
    guard rows > 0, cols > 0 else { return }
    parallelRows(ctx, rows: rows, cols: cols, costPerElement: 3 * memoryBoundWeight / 2) { r in
        let o = r.lowerBound * cols
        binaryRowBroadcastRows(op, a + o, rows: r.count, cols: cols, b, bOnLeft: bOnLeft, out + o)
    }
}

/// `binaryRowBroadcast` on one thread.
private func binaryRowBroadcastRows(_ op: BinaryKernel, _ a: UnsafePointer<Float>, rows: Int, cols: Int,
                                    _ b: UnsafePointer<Float>, bOnLeft: Bool, _ out: UnsafeMutablePointer<Float>) {
    @inline(__always) func apply(_ x: UnsafePointer<Float>, _ row: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ n: Int) {
        if bOnLeft { binaryContiguous(op, row, x, o, count: n) } else { binaryContiguous(op, x, row, o, count: n) }
    }
    let group = Swift.min(rows, Swift.max(1, 256 / cols))   // rows per contiguous call
    guard group > 1 else {
        for r in 0..<rows { apply(a + r * cols, b, out + r * cols, cols) }
        return
    }
    let tile = UnsafeMutablePointer<Float>.allocate(capacity: group * cols)
    defer { tile.deallocate() }
    for r in 0..<group { (tile + r * cols).initialize(from: b, count: cols) }
    var r = 0
    while r < rows {
        apply(a + r * cols, tile, out + r * cols, Swift.min(group, rows - r) * cols)
        r += group
    }
}

/// Naive twin of `binaryRowBroadcast`.
public func binaryRowBroadcastReference(_ op: BinaryKernel, _ a: UnsafePointer<Float>, rows: Int, cols: Int,
                                        _ b: UnsafePointer<Float>, bOnLeft: Bool, _ out: UnsafeMutablePointer<Float>) {
    for i in 0..<rows {
        for j in 0..<cols { out[i * cols + j] = bOnLeft ? op.apply(b[j], a[i * cols + j]) : op.apply(a[i * cols + j], b[j]) }
    }
}
