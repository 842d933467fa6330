// Convolution as implicit GEMM on channels-last data (one backend, single-threaded per call).
//
// Geometry: input x [N, H, W, C], weight [Cout, KH, KW, C], output [N, OH, OW, Cout].
// The im2col matrix P[M, K] (M = N·OH·OW output pixels, K = KH·KW·C, column q = (ky·KW + kx)·C + ci)
// is never materialised: the GEMM packers gather it straight from x into packed panels.
// With channels-last, every (pixel, ky, kx) contributes a contiguous run of C input floats.
//   forward:      out[M, Cout] = P · Wᵀ             (A = P gathered, B = W as transB)
//   weight grad:  dW[Cout, K]  = dYᵀ · P            (A = dY as transA, B = P gathered)
// Input gradients use the forward kernel on dY with a flipped weight (stride 1), see TLKernels.

struct PatchGeometry {
    let x: UnsafePointer<Float>
    let height: Int, width: Int, channels: Int
    let kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int
    let outH: Int, outW: Int

    /// Top-left input coordinate of the receptive field of output pixel `pixel`
    /// (index into [N, OH, OW]), as (image, ih0, iw0).
    @inline(__always)
    func origin(_ pixel: Int) -> (Int, Int, Int) {
        let perImage = outH * outW
        let n = pixel / perImage, rem = pixel - n * perImage
        let oh = rem / outW, ow = rem - oh * outW
        return (n, oh * strideH - padH, ow * strideW - padW)
    }

    /// Copies P[pixel, q0 ..< q0+count] to dst[0], dst[step], dst[2·step], …
    /// (zeros where the receptive field lies in the padding).
    /// Works row by row of the receptive field: for a fixed ky the KW·C values of P are one
    /// contiguous run of the input row (channels-last), minus the columns in the padding, so
    /// the per-element cost is a copy; bounds are checked once per kernel row.
    @inline(__always)
    func gather(pixel: Int, q0: Int, count: Int, into dst: UnsafeMutablePointer<Float>, step: Int) {
        let (n, ih0, iw0) = origin(pixel)
        gather(n: n, ih0: ih0, iw0: iw0, q0: q0, count: count, into: dst, step: step)
    }

    /// `gather` for the pixel whose receptive field starts at (n, ih0, iw0).
    @inline(__always)
    func gather(n: Int, ih0: Int, iw0: Int, q0: Int, count: Int, into dst: UnsafeMutablePointer<Float>, step: Int) {
        let c = channels
        let rowLen = kernelW * c
        // Offsets within a kernel row whose input column is inside the image.
        let validLo = max(0, -iw0) * c
        let validHi = max(validLo, min(kernelW, width - iw0) * c)
        var ky = q0 / rowLen
        var off = q0 - ky * rowLen
        var done = 0
        var d = dst
        @inline(__always) func zero(_ len: Int) {
            if step == 1 { d.update(repeating: 0, count: len); d += len } else { for _ in 0..<len { d.pointee = 0; d += step } }
        }
        @inline(__always) func copy(_ s: UnsafePointer<Float>, _ len: Int) {
            if step == 1 {
                if len >= 16 { UnsafeMutableRawPointer(d).copyMemory(from: s, byteCount: len * 4) } else { for i in 0..<len { d[i] = s[i] } }
                d += len
            } else {
                var sp = s
                for _ in 0..<len { d.pointee = sp.pointee; sp += 1; d += step }
            }
        }
        while done < count {
            let len = min(rowLen - off, count - done)
            let end = off + len
            let ih = ih0 + ky
            if ih < 0 || ih >= height {
                zero(len)
            } else {
                let a = min(max(off, validLo), end), b = max(min(end, validHi), a)
                if a > off { zero(a - off) }
                if b > a {
                    // Element at kernel-row offset o is x[n, ih, iw0 + o / c, o % c] = rowBase + o.
                    let rowBase = x + ((n * height + ih) * width + iw0) * c
                    copy(rowBase + a, b - a)
                }
                if end > b { zero(end - b) }
            }
            done += len
            off = 0
            ky += 1
        }
    }
}

/// Walks consecutive output pixels without a division per pixel.
struct PixelWalker {
    var n: Int, oh: Int, ow: Int
    let geo: PatchGeometry

    init(_ geo: PatchGeometry, start pixel: Int) {
        self.geo = geo
        let perImage = geo.outH * geo.outW
        n = pixel / perImage
        let rem = pixel - n * perImage
        oh = rem / geo.outW
        ow = rem - oh * geo.outW
    }

    var ih0: Int { oh * geo.strideH - geo.padH }
    var iw0: Int { ow * geo.strideW - geo.padW }

    @inline(__always) mutating func advance() {
        ow += 1
        if ow == geo.outW {
            ow = 0
            oh += 1
            if oh == geo.outH { oh = 0; n += 1 }
        }
    }
}

/// op(A) = P (rows: output pixels from `rowBase`), for the forward pass.
struct PatchPackerA: PanelPackerA {
    let geo: PatchGeometry
    let rowBase: Int

    var rowPanels: Bool { true }

    @inline(__always)
    func pack(i0: Int, mc: Int, p0: Int, kc: Int, into dst: UnsafeMutablePointer<Float>) {
        var d = dst
        var ib = 0
        while ib < mc {
            let rows = min(gemmMR, mc - ib)
            var walker = PixelWalker(geo, start: rowBase + i0 + ib)
            for r in 0..<rows {
                geo.gather(n: walker.n, ih0: walker.ih0, iw0: walker.iw0, q0: p0, count: kc, into: d + r * kc, step: 1)
                walker.advance()
            }
            if rows < gemmMR { (d + rows * kc).update(repeating: 0, count: (gemmMR - rows) * kc) }
            d += gemmMR * kc
            ib += gemmMR
        }
    }
}

/// op(B) = P (rows: output pixels from `pixelBase`, the reduction axis), for the weight gradient.
struct PatchPackerB: PanelPackerB {
    let geo: PatchGeometry
    let pixelBase: Int

    @inline(__always)
    func pack(p0: Int, kc: Int, j0: Int, nc: Int, into dst: UnsafeMutablePointer<Float>) {
        var d = dst
        var jb = 0
        while jb < nc {
            let cols = min(gemmNR, nc - jb)
            var dd = d
            var walker = PixelWalker(geo, start: pixelBase + p0)
            for _ in 0..<kc {
                geo.gather(n: walker.n, ih0: walker.ih0, iw0: walker.iw0, q0: j0 + jb, count: cols, into: dd, step: 1)
                walker.advance()
                if cols < gemmNR { (dd + cols).update(repeating: 0, count: gemmNR - cols) }
                dd += gemmNR
            }
            d += gemmNR * kc
            jb += gemmNR
        }
    }
}

/// out[rowStart ..< rowStart+rowCount, 0..<outChannels] = P·Wᵀ (+ bias), rows of the
/// [N·OH·OW, Cout] output. weight: [Cout, KH·KW·C]; bias: [Cout] or nil. Single-threaded.
public func convForwardRows(x: UnsafePointer<Float>, height: Int, width: Int, channels: Int,
                            kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int,
                            outH: Int, outW: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                            outChannels: Int, rowStart: Int, rowCount: Int, out: UnsafeMutablePointer<Float>) {
    guard rowCount > 0, outChannels > 0 else { return }
    let k = kernelH * kernelW * channels
    let geo = PatchGeometry(x: x, height: height, width: width, channels: channels, kernelH: kernelH,
                            kernelW: kernelW, strideH: strideH, strideW: strideW, padH: padH, padW: padW,
                            outH: outH, outW: outW)
    let c = out + rowStart * outChannels
    gemmDriver(m: rowCount, n: outChannels, k: k,
               packA: PatchPackerA(geo: geo, rowBase: rowStart),
               packB: MatrixPackerB(b: weight, ldb: k, trans: true),
               beta: 0, c: c, ldc: outChannels)
    if let bias {
        let w = VF.scalarCount
        for r in 0..<rowCount {
            let row = c + r * outChannels
            var j = 0
            while j + w <= outChannels { storeV(loadV(row + j) + loadV(bias + j), row + j); j += w }
            while j < outChannels { row[j] += bias[j]; j += 1 }
        }
    }
}

/// dW[Cout, K] = beta·dW + dY[pixels]ᵀ · P[pixels] over output pixels
/// [pixelStart, pixelStart+pixelCount); dy: [N·OH·OW, Cout]. Single-threaded.
public func convWeightGradient(x: UnsafePointer<Float>, height: Int, width: Int, channels: Int,
                               kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int,
                               outH: Int, outW: Int, dy: UnsafePointer<Float>, outChannels: Int,
                               pixelStart: Int, pixelCount: Int, beta: Float, dw: UnsafeMutablePointer<Float>) {
    let k = kernelH * kernelW * channels
    guard outChannels > 0, k > 0 else { return }
    if pixelCount <= 0 { scaleBlock(m: outChannels, n: k, beta: beta, c: dw, ldc: k); return }
    let geo = PatchGeometry(x: x, height: height, width: width, channels: channels, kernelH: kernelH,
                            kernelW: kernelW, strideH: strideH, strideW: strideW, padH: padH, padW: padW,
                            outH: outH, outW: outW)
    gemmDriver(m: outChannels, n: k, k: pixelCount,
               packA: MatrixPackerA(a: dy + pixelStart * outChannels, lda: outChannels, trans: true, alpha: 1),
               packB: PatchPackerB(geo: geo, pixelBase: pixelStart),
               beta: beta, c: dw, ldc: k)
}
