import TLKernels
import Foundation

// Elementwise arithmetic with NumPy broadcasting, unary math, and comparison masks.
extension Tensor {
    /// Computes `a ∘ b` with broadcasting (no autodiff recording).
    static func broadcastBinary(_ op: BinaryKernel, _ a: Tensor, _ b: Tensor, name: String) throws -> Tensor {
        if a.shape == b.shape {
            let out = sameShapePass(a, b) { binaryContiguous(op, $0, $1, $2, count: $3) }
            return Tensor(unchecked: out, shape: a.shape)
        }
        let shape = try Shape.broadcast(a.shape, b.shape, operation: name)
        let total = Shape.count(shape)
        guard total > 0 else { return Tensor(unchecked: [], shape: shape) }
        let sa = Shape.broadcastStrides(a.shape, to: shape)
        let sb = Shape.broadcastStrides(b.shape, to: shape)
        let last = shape.last ?? 1
        let la = sa.last ?? 0, lb = sb.last ?? 0
        // [rows, cols] ∘ [cols] (a bias over channels-last activations): one tiled loop.
        if a.count == total, let cols = rowVectorColumns(b.count, strides: sb, shape: shape) {
            return rowBroadcast(op, a, b, rows: total / cols, cols: cols, vectorOnLeft: false, shape: shape)
        }
        if b.count == total, let cols = rowVectorColumns(a.count, strides: sa, shape: shape) {
            return rowBroadcast(op, b, a, rows: total / cols, cols: cols, vectorOnLeft: true, shape: shape)
        }
        // The rows cover the output exactly once: no zero-fill first.
        let out = [Float](unsafeUninitializedCapacity: total) { po, initialized in
            defer { initialized = total }
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    let A = pa.baseAddress!, B = pb.baseAddress!, O = po.baseAddress!
                    StridedLoops.forEachRow(shape: shape, stridesA: sa, stridesB: sb) { oa, ob, row in
                        let o = O + row * last
                        switch (la, lb) {
                        case (1, 1): binaryContiguous(op, A + oa, B + ob, o, count: last)
                        case (1, 0): binaryScalarRight(op, A + oa, B[ob], o, count: last)
                        case (0, 1): binaryScalarLeft(op, A[oa], B + ob, o, count: last)
                        default:
                            for j in 0..<last { o[j] = op.apply(A[oa + j * la], B[ob + j * lb]) }
                        }
                    }
                }
            }
        }
        return Tensor(unchecked: out, shape: shape)
    }

    /// The row length when an operand of `count` elements, broadcast to `shape` with `strides`,
    /// is one row vector repeated over the leading axes (strides 0 there, contiguous after).
    private static func rowVectorColumns(_ count: Int, strides: [Int], shape: [Int]) -> Int? {
        var k = 0
        while k < shape.count && strides[k] == 0 { k += 1 }
        guard k > 0, k < shape.count else { return nil }
        let cols = Shape.count(Array(shape[k...]))
        guard cols == count, cols > 0, zip(shape[k...], strides[k...]).allSatisfy({ $0 == 1 || $1 != 0 }) else { return nil }
        return cols
    }

    /// full ∘ row (or row ∘ full when `vectorOnLeft`) with `row` repeated over `rows`.
    private static func rowBroadcast(_ op: BinaryKernel, _ full: Tensor, _ row: Tensor, rows: Int, cols: Int,
                                     vectorOnLeft: Bool, shape: [Int]) -> Tensor {
        let out = [Float](unsafeUninitializedCapacity: rows * cols) { po, initialized in
            full.scalars.withUnsafeBufferPointer { pf in
                row.scalars.withUnsafeBufferPointer { pr in
                    binaryRowBroadcast(op, pf.baseAddress!, rows: rows, cols: cols, pr.baseAddress!, bOnLeft: vectorOnLeft, po.baseAddress!)
                }
            }
            initialized = rows * cols
        }
        return Tensor(unchecked: out, shape: shape)
    }

    /// Applies a scalar-operand kernel (no recording).
    static func scalarBinary(_ op: BinaryKernel, _ a: Tensor, _ s: Float, scalarOnLeft: Bool) -> Tensor {
        let out = [Float](unsafeUninitializedCapacity: a.count) { po, initialized in
            a.scalars.withUnsafeBufferPointer { pa in
                guard po.count > 0 else { return }
                if scalarOnLeft { binaryScalarLeft(op, s, pa.baseAddress!, po.baseAddress!, count: po.count) }
                else { binaryScalarRight(op, pa.baseAddress!, s, po.baseAddress!, count: po.count) }
            }
            initialized = po.count
        }
        return Tensor(unchecked: out, shape: a.shape)
    }

    /// Applies a unary kernel (no recording).
    func mapped(_ op: UnaryKernel) -> Tensor {
        let out = [Float](unsafeUninitializedCapacity: count) { po, initialized in
            scalars.withUnsafeBufferPointer { px in
                guard po.count > 0 else { return }
                let X = px.baseAddress!, O = po.baseAddress!
                parallelElements(count: po.count, streams: 2) { r in
                    unaryContiguous(op, X + r.lowerBound, O + r.lowerBound, count: r.count)
                }
            }
            initialized = po.count
        }
        return Tensor(unchecked: out, shape: shape)
    }

    /// Applies an arbitrary scalar function elementwise. Not differentiable: the result never
    /// records a gradient (use it for masks, rules and metrics).
    public func mapped(_ f: (Float) -> Float) -> Tensor {
        Tensor(unchecked: scalars.map(f), shape: shape)
    }

    /// max(self + other, 0) for tensors of one shape, in one pass each way (a residual block's
    /// tail): the same values and gradients as `(self + other).relu()`, which other shapes
    /// (broadcasting) fall back to. The backward masks the upstream gradient with the saved
    /// output (y > 0 exactly where the sum was > 0) and hands it to both inputs.
    ///
    ///     self, other: [...] (same shape) → [...]
    public func addingRelu(_ other: Tensor) throws -> Tensor {
        guard shape == other.shape else { return try (self + other).relu() }
        let out = Tensor.sameShapePass(self, other) { addRelu($0, $1, $2, count: $3) }
        return Tensor.record(.addRelu, inputs: [self, other], output: Tensor(unchecked: out, shape: shape), saveOutput: true)
    }

    /// ReLU's backward in one pass (`reluBackward`): g where x > 0, else 0. x, g: same shape.
    static func reluGradient(input x: Tensor, upstream g: Tensor) -> Tensor {
        Tensor(unchecked: sameShapePass(x, g) { reluBackward($0, $1, $2, count: $3) }, shape: x.shape)
    }

    /// out = kernel(a, b) element by element for two tensors of one shape, every element written
    /// (no zero fill first). Memory-bound, so split across threads from ~100k elements on
    /// 16-element boundaries (`parallelElements`): the values do not depend on the split.
    static func sameShapePass(_ a: Tensor, _ b: Tensor,
                              _ kernel: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> [Float] {
        [Float](unsafeUninitializedCapacity: a.count) { po, initialized in
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    guard po.count > 0 else { return }
                    let A = pa.baseAddress!, B = pb.baseAddress!, O = po.baseAddress!
                    parallelElements(count: po.count, streams: 3) { r in
                        kernel(A + r.lowerBound, B + r.lowerBound, O + r.lowerBound, r.count)
                    }
                }
            }
            initialized = po.count
        }
    }

    // MARK: Binary operators (broadcasting, throwing on incompatible shapes)

    public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        record(.add, inputs: [lhs, rhs], output: try broadcastBinary(.add, lhs, rhs, name: "add"))
    }
    public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        record(.subtract, inputs: [lhs, rhs], output: try broadcastBinary(.subtract, lhs, rhs, name: "subtract"))
    }
    public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        record(.multiply, inputs: [lhs, rhs], output: try broadcastBinary(.multiply, lhs, rhs, name: "multiply"))
    }
    public static func / (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        record(.divide, inputs: [lhs, rhs], output: try broadcastBinary(.divide, lhs, rhs, name: "divide"))
    }

    // MARK: Scalar operands (never throw)

    public static func + (lhs: Tensor, rhs: Float) -> Tensor {
        record(.addScalar(rhs), inputs: [lhs], output: scalarBinary(.add, lhs, rhs, scalarOnLeft: false))
    }
    public static func + (lhs: Float, rhs: Tensor) -> Tensor { rhs + lhs }
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs + (-rhs) }
    public static func - (lhs: Float, rhs: Tensor) -> Tensor { (-rhs) + lhs }
    public static func * (lhs: Tensor, rhs: Float) -> Tensor {
        record(.multiplyScalar(rhs), inputs: [lhs], output: scalarBinary(.multiply, lhs, rhs, scalarOnLeft: false))
    }
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs * lhs }
    public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs * (1 / rhs) }
    public static func / (lhs: Float, rhs: Tensor) -> Tensor { rhs.pow(-1) * lhs }

    public static prefix func - (x: Tensor) -> Tensor {
        record(.negate, inputs: [x], output: x.mapped(.negate))
    }

    // MARK: Unary math

    /// eˣ.
    public func exp() -> Tensor { Tensor.record(.exp, inputs: [self], output: mapped(.exp), saveOutput: true) }
    /// Natural logarithm. Non-positive inputs give -inf/NaN as in IEEE; guard with `clamp` or
    /// `log(epsilon:)` where inputs may underflow to 0.
    public func log() -> Tensor { Tensor.record(.log, inputs: [self], output: mapped(.log)) }
    /// log(max(x, epsilon)): a log that stays finite for tiny or zero inputs.
    public func log(epsilon: Float) -> Tensor { clamp(min: epsilon).log() }
    /// √x.
    public func sqrt() -> Tensor { Tensor.record(.sqrt, inputs: [self], output: mapped(.sqrt), saveOutput: true) }
    /// Hyperbolic tangent.
    public func tanh() -> Tensor { Tensor.record(.tanh, inputs: [self], output: mapped(.tanh), saveOutput: true) }
    /// Logistic sigmoid 1 / (1 + e⁻ˣ), computed without overflow.
    public func sigmoid() -> Tensor { Tensor.record(.sigmoid, inputs: [self], output: mapped(.sigmoid), saveOutput: true) }
    /// max(x, 0).
    public func relu() -> Tensor { Tensor.record(.relu, inputs: [self], output: mapped(.relu)) }
    /// GELU, exact erf form as in BERT: x · Φ(x).
    public func gelu() -> Tensor { Tensor.record(.gelu, inputs: [self], output: geluValue()) }
    /// |x|.
    public func abs() -> Tensor { Tensor.record(.abs, inputs: [self], output: mapped(.abs)) }
    /// xᵖ for a scalar exponent.
    public func pow(_ exponent: Float) -> Tensor {
        let out = exponent == 2 ? mapped { $0 * $0 } : mapped { Foundation.pow($0, exponent) }
        return Tensor.record(.powScalar(exponent), inputs: [self], output: out)
    }
    /// Clamps into `[min, max]`; the gradient is 1 strictly inside the range and 0 outside.
    public func clamp(min lower: Float = -.infinity, max upper: Float = .infinity) -> Tensor {
        Tensor.record(.clamp(lower, upper), inputs: [self],
                      output: mapped { Swift.min(Swift.max($0, lower), upper) })
    }

    // MARK: Comparison masks (1 where true, 0 elsewhere; never differentiable)

    private static func compare(_ a: Tensor, _ b: Tensor, name: String, _ predicate: (Float, Float) -> Bool) throws -> Tensor {
        let shape = try Shape.broadcast(a.shape, b.shape, operation: name)
        let ea = try a.detached().expanded(to: shape), eb = try b.detached().expanded(to: shape)
        var out = [Float](repeating: 0, count: ea.count)
        for i in 0..<out.count where predicate(ea.scalars[i], eb.scalars[i]) { out[i] = 1 }
        return Tensor(unchecked: out, shape: shape)
    }
    /// 1 where `self > other` (broadcasting).
    public func greater(_ other: Tensor) throws -> Tensor { try Tensor.compare(self, other, name: "greater") { $0 > $1 } }
    /// 1 where `self < other` (broadcasting).
    public func less(_ other: Tensor) throws -> Tensor { try Tensor.compare(self, other, name: "less") { $0 < $1 } }
    /// 1 where `self >= other` (broadcasting).
    public func greaterEqual(_ other: Tensor) throws -> Tensor { try Tensor.compare(self, other, name: "greaterEqual") { $0 >= $1 } }
    /// 1 where `self <= other` (broadcasting).
    public func lessEqual(_ other: Tensor) throws -> Tensor { try Tensor.compare(self, other, name: "lessEqual") { $0 <= $1 } }
    /// 1 where `self == other` (broadcasting).
    public func equal(_ other: Tensor) throws -> Tensor { try Tensor.compare(self, other, name: "equal") { $0 == $1 } }
    /// 1 where `self > value`.
    public func greater(_ value: Float) -> Tensor { detached().mapped { $0 > value ? 1 : 0 } }
    /// 1 where `self < value`.
    public func less(_ value: Float) -> Tensor { detached().mapped { $0 < value ? 1 : 0 } }
    /// 1 where `self == value`.
    public func equal(_ value: Float) -> Tensor { detached().mapped { $0 == value ? 1 : 0 } }
}
