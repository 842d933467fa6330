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

// out[j] = Σ_i x[i·cols + j]       x: [rows, cols], out: [cols] (overwritten)
/// Column sums of a row-major matrix (e.g. a bias gradient: the upstream summed over rows).
/// Each column adds its rows in order starting from 0 — the same additions as
/// `sumRowsReference`, bit for bit, so a batch split across ranks sums exactly as before.
/// From 16 columns: SIMD16 over columns, four vectors per sweep so the sums stay in
/// registers. Narrower rows (a conv bias over 6 channels) go row by row with one running sum
/// per column, so the columns' dependency chains interleave instead of running one after another.
/// Wide matrices split their columns across threads in blocks of 64 (each column's sum is the
/// same chain on any thread; a transformer's position-embedding gradient, [32, 64·128] summed
/// over the batch, ran on one core).
public func sumRows(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
    sumRows(.current, x, rows: rows, cols: cols, into: out)
}

func sumRows(_ ctx: KernelContext, _ x: UnsafePointer<Float>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
    let blocks = cols / 64
    let threads = blocks < 2 ? 1 : ctx.threadsFor(work: rows * cols * memoryBoundWeight, maxChunks: blocks)
    guard threads > 1 else { sumRowsColumns(x, rows: rows, stride: cols, cols: cols, into: out); return }
    parallelFor(threads) { t in
        let r = chunkRange(t, parts: threads, units: blocks)
        let j0 = r.lowerBound * 64, j1 = t == threads - 1 ? cols : r.upperBound * 64
        if j1 > j0 { sumRowsColumns(x + j0, rows: rows, stride: cols, cols: j1 - j0, into: out + j0) }
    }
}

/// `sumRows` on one thread, over `cols` columns of rows `stride` floats apart.
private func sumRowsColumns(_ x: UnsafePointer<Float>, rows: Int, stride: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
    if cols < 16 {
        out.update(repeating: 0, count: cols)
        for i in 0..<rows {
            let row = x + i * stride
            for j in 0..<cols { out[j] += row[j] }
        }
        return
    }
    let r = UnsafeRawPointer(x), o = UnsafeMutableRawPointer(out)
    var j = 0
    while j + 64 <= cols {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        for i in 0..<rows {
            let row = (i * stride + j) * 4
            a0 += r.loadUnaligned(fromByteOffset: row, as: SIMD16<Float>.self)
            a1 += r.loadUnaligned(fromByteOffset: row + 64, as: SIMD16<Float>.self)
            a2 += r.loadUnaligned(fromByteOffset: row + 128, as: SIMD16<Float>.self)
            a3 += r.loadUnaligned(fromByteOffset: row + 192, as: SIMD16<Float>.self)
        }
        o.storeBytes(of: a0, toByteOffset: j * 4, as: SIMD16<Float>.self)
        o.storeBytes(of: a1, toByteOffset: (j + 16) * 4, as: SIMD16<Float>.self)
        o.storeBytes(of: a2, toByteOffset: (j + 32) * 4, as: SIMD16<Float>.self)
        o.storeBytes(of: a3, toByteOffset: (j + 48) * 4, as: SIMD16<Float>.self)
        j += 64
    }
    while j + 16 <= cols {
        var a = SIMD16<Float>()
        for i in 0..<rows { a += r.loadUnaligned(fromByteOffset: (i * stride + j) * 4, as: SIMD16<Float>.self) }
        o.storeBytes(of: a, toByteOffset: j * 4, as: SIMD16<Float>.self)
        j += 16
    }
    while j < cols {
        var a: Float = 0
        for i in 0..<rows { a += x[i * stride + j] }
        out[j] = a
        j += 1
    }
}

/// Naive twin of `sumRows`: one column at a time, rows in order.
public func sumRowsReference(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
    for j in 0..<cols {
        var a: Float = 0
        for i in 0..<rows { a += x[i * cols + j] }
        out[j] = a
    }
}
