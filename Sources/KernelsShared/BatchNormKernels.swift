// Training-mode BatchNorm passes over channels-last rows, one backend (TLKernels splits the
// rows across threads and combines the per-thread sums; BatchNormTraining.swift). The forward
// apply pass is `channelAffineRows` (DepthwiseKernels.swift); these are the two reductions and
// the backward's elementwise pass, in this backend's vector width (16 lanes on AVX-512).
//
//     x, dy, dx: [rows, cols]   per-channel vectors: [cols]   sums: [2 · cols] Double
//
// Sums: Float over blocks of `batchNormBlockRows` rows, then added into Double per block, the
// blocks in row order: the same summation tree on every backend and thread split as the
// generic kernel it replaces. The clamp mask z = x · scale + shift is computed exactly as
// `channelAffineRows` computes the forward output (fused multiply-add in the vector body,
// multiply then add in the scalar tail), so the backward masks what the forward clamped.

/// Rows summed in Float before their partial sums are added in Double.
let batchNormBlockRows = 32

/// dy where lower ≤ z ≤ upper (the clamp passed its input), else 0.
@inline(__always) private func passedV(_ z: VF, _ g: VF, _ lo: VF, _ hi: VF) -> VF {
    VF(repeating: 0).replacing(with: g, where: (z .>= lo) .& (z .<= hi))
}

/// Adds Σ (x − x[row 0]) and Σ (x − x[row 0])² per channel over rows `rowStart..<rowEnd` into
/// sums[0..<cols] and sums[cols..<2·cols] (sums shifted by the first row: no cancellation for
/// a large mean).
public func batchNormStatisticsSums(x: UnsafePointer<Float>, cols: Int, rowStart: Int, rowEnd: Int,
                                    sums: UnsafeMutablePointer<Double>) {
    let w = VF.scalarCount, full = cols / w * w
    let ds = sums, dq = sums + cols
    var row = rowStart
    while row < rowEnd {
        let end = min(rowEnd, row + batchNormBlockRows)
        var j = 0
        while j < full {
            let k = loadV(x + j)
            var sv = VF(), qv = VF()
            for i in row..<end {
                let d = loadV(x + i * cols + j) - k
                sv += d
                qv += d * d
            }
            addInto(ds + j, sv); addInto(dq + j, qv)
            j += w
        }
        while j < cols {
            var sj: Float = 0, qj: Float = 0
            for i in row..<end { let d = x[i * cols + j] - x[j]; sj += d; qj += d * d }
            ds[j] += Double(sj); dq[j] += Double(qj)
            j += 1
        }
        row = end
    }
}

/// Adds Σ dz and Σ dz · x̂ per channel over rows `rowStart..<rowEnd` into sums[0..<cols] and
/// sums[cols..<2·cols], with x̂ = (x − mean) · rstd and dz = dy where the clamp passed its input.
public func batchNormBackwardSums(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, scale: UnsafePointer<Float>,
                                  shift: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                  lower: Float, upper: Float, cols: Int, rowStart: Int, rowEnd: Int,
                                  sums: UnsafeMutablePointer<Double>) {
    let w = VF.scalarCount, full = cols / w * w
    let lo = VF(repeating: lower), hi = VF(repeating: upper)
    let ds = sums, dq = sums + cols
    var row = rowStart
    while row < rowEnd {
        let end = min(rowEnd, row + batchNormBlockRows)
        var j = 0
        while j < full {
            let sc = loadV(scale + j), sh = loadV(shift + j), m = loadV(mean + j), rs = loadV(rstd + j)
            var sv = VF(), qv = VF()
            for i in row..<end {
                let xv = loadV(x + i * cols + j)
                let dz = passedV(madd(sh, xv, sc), loadV(dy + i * cols + j), lo, hi)
                sv += dz
                qv += dz * ((xv - m) * rs)
            }
            addInto(ds + j, sv); addInto(dq + j, qv)
            j += w
        }
        while j < cols {
            var sj: Float = 0, qj: Float = 0
            for i in row..<end {
                let xv = x[i * cols + j]
                let z = xv * scale[j] + shift[j]
                let dz = z >= lower && z <= upper ? dy[i * cols + j] : 0
                sj += dz
                qj += dz * ((xv - mean[j]) * rstd[j])
            }
            ds[j] += Double(sj); dq[j] += Double(qj)
            j += 1
        }
        row = end
    }
}

/// dx = scale · (dz − a − x̂ · b) for rows `rowStart..<rowEnd`, with a = Σ dz / N and
/// b = Σ dz·x̂ / N per channel (from `batchNormBackwardSums`), scale = weight · rstd.
public func batchNormBackwardRows(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, scale: UnsafePointer<Float>,
                                  shift: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                  a: UnsafePointer<Float>, b: UnsafePointer<Float>, lower: Float, upper: Float, cols: Int,
                                  rowStart: Int, rowEnd: Int, dx: UnsafeMutablePointer<Float>) {
    let w = VF.scalarCount, full = cols / w * w
    let lo = VF(repeating: lower), hi = VF(repeating: upper)
    for i in rowStart..<rowEnd {
        let xr = x + i * cols, g = dy + i * cols, o = dx + i * cols
        var j = 0
        while j < full {
            let xv = loadV(xr + j), sc = loadV(scale + j)
            let dz = passedV(madd(loadV(shift + j), xv, sc), loadV(g + j), lo, hi)
            let xhat = (xv - loadV(mean + j)) * loadV(rstd + j)
            storeV(sc * (dz - loadV(a + j) - xhat * loadV(b + j)), o + j)
            j += w
        }
        while j < cols {
            let z = xr[j] * scale[j] + shift[j]
            let dz = z >= lower && z <= upper ? g[j] : 0
            let xhat = (xr[j] - mean[j]) * rstd[j]
            o[j] = scale[j] * (dz - a[j] - xhat * b[j])
            j += 1
        }
    }
}

/// p[0..<w] += Double(v[lane]) lane by lane (vector conversions, no scalar loop).
@inline(__always) private func addInto(_ p: UnsafeMutablePointer<Double>, _ v: VF) {
    typealias VD = SIMD8<Double>
    let raw = UnsafeMutableRawPointer(p)
    var l = 0
    while l < VF.scalarCount {
        let part = VD(Double(v[l]), Double(v[l + 1]), Double(v[l + 2]), Double(v[l + 3]),
                      Double(v[l + 4]), Double(v[l + 5]), Double(v[l + 6]), Double(v[l + 7]))
        raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: l * 8, as: VD.self) + part, toByteOffset: l * 8, as: VD.self)
        l += 8
    }
}
