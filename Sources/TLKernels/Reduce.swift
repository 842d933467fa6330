// sum(x)                           x: [n]
/// Sum of a contiguous run with 4 SIMD16 partial accumulators: 64 independent partial sums
/// keep the rounding error growth ~ n/64 steps instead of n, and break the add latency chain.
public func sumContiguous(_ x: UnsafePointer<Float>, count n: Int) -> Float {
    var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
    let r = UnsafeRawPointer(x)
    var i = 0
    while i + 64 <= n {
        a0 += r.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        a1 += r.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
        a2 += r.loadUnaligned(fromByteOffset: (i + 32) * 4, as: SIMD16<Float>.self)
        a3 += r.loadUnaligned(fromByteOffset: (i + 48) * 4, as: SIMD16<Float>.self)
        i += 64
    }
    while i + 16 <= n {
        a0 += r.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        i += 16
    }
    var total = ((a0 + a1) + (a2 + a3)).sum()
    while i < n { total += x[i]; i += 1 }
    return total
}

/// Naive twin of `sumContiguous`, accumulated in Double (the accuracy reference).
public func sumContiguousReference(_ x: UnsafePointer<Float>, count n: Int) -> Float {
    var total = 0.0
    for i in 0..<n { total += Double(x[i]) }
    return Float(total)
}

// max(x)                           x: [n], n ≥ 1
/// Maximum of a contiguous run (NaN-propagating is not promised; use finite inputs).
public func maxContiguous(_ x: UnsafePointer<Float>, count n: Int) -> Float {
    precondition(n > 0)
    var m = -Float.infinity
    var i = 0
    if n >= 16 {
        var v = SIMD16<Float>(repeating: -.infinity)
        let r = UnsafeRawPointer(x)
        while i + 16 <= n {
            v = pointwiseMax(v, r.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
            i += 16
        }
        m = v.max()
    }
    while i < n { if x[i] > m { m = x[i] }; i += 1 }
    return m
}

/// Naive twin of `maxContiguous`.
public func maxContiguousReference(_ x: UnsafePointer<Float>, count n: Int) -> Float {
    var m = -Float.infinity
    for i in 0..<n where x[i] > m { m = x[i] }
    return m
}
