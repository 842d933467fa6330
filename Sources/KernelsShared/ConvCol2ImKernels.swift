// col2im of the GEMM form of the convolution input gradient (strided layers and few input
// channels, see conv2DBackwardInput in TLKernels): per image, dx = the sum of the patch
// gradients dP[OH·OW, KH·KW·C] over every tap that reads each input pixel. In the backend so
// the vectors are the backend's (AVX-512: one zmm per 16 channels; in TLKernels, compiled for
// baseline x86-64, SIMD8 ran as SSE pairs and took half of a stride-2 input gradient).

/// One image's input gradient dx [H, W, C] (overwritten) gathered from dP [OH·OW, KH·KW·C],
/// which must be followed by `VF.scalarCount` readable floats. Each input pixel sums its taps'
/// dP rows in registers and is written once (a scatter-add's overlapping read-modify-writes of
/// neighbouring pixels stalled on store forwarding). Sums run per kernel row, rows in order.
public func convCol2ImGather(dp: UnsafePointer<Float>, height: Int, width: Int, channels: Int, kernelH kh: Int, kernelW kw: Int,
                             strideH sh: Int, strideW sw: Int, padTop: Int, padLeft: Int, outH oh: Int, outW ow: Int,
                             dx img: UnsafeMutablePointer<Float>) {
    let lanes = VF.scalarCount
    let inChannels = channels, k = kh * kw * channels, imageSize = height * width * channels
    // Along a kernel row, tap kx + sw reads output pixel x − 1: dP offset step −K + sw·Cin.
    let step = sw * inChannels - k
    withUnsafeTemporaryAllocation(of: Int.self, capacity: sw) { tapsFrom in
        // tapsFrom[kx0]: taps kx0, kx0 + sw, … below KW.
        for kx0 in 0..<sw { tapsFrom[kx0] = kx0 < kw ? (kw - 1 - kx0) / sw + 1 : 0 }
        for ih in 0..<height {
            // Taps ky ≡ ih + padTop (mod sh) reach this row, from output row (ih + padTop − ky) / sh.
            let ty0 = ih + padTop, ky0 = ty0 % sh
            // Taps kx = kx0 + j·sw read output column x0 − j, tx0 = iw + padLeft = x0·sw + kx0;
            // kx0 and x0 advance with iw (no division per pixel).
            var kx0 = padLeft % sw, x0 = padLeft / sw
            for iw in 0..<width {
                defer {
                    kx0 += 1
                    if kx0 == sw { kx0 = 0; x0 += 1 }
                }
                let pixel = ih * width + iw
                // Keep 0 ≤ x < OW and kx < KW.
                let jFirst = max(0, x0 - ow + 1)
                let jEnd = min(x0 + 1, tapsFrom[kx0])
                var c0 = 0
                while c0 < inChannels {
                    var acc = VF()
                    // (ty0 − ky) is a multiple of sh: output row y steps down by one per tap.
                    var ky = ky0, y = (ty0 - ky0) / sh
                    while ky < kh && y >= 0 {
                        if y < oh && jFirst < jEnd {
                            // A fresh partial per kernel row: independent add chains.
                            var rowSum = VF()
                            let kx = kx0 + jFirst * sw, x = x0 - jFirst
                            var q = dp + (y * ow + x) * k + (ky * kw + kx) * inChannels + c0
                            for _ in jFirst..<jEnd {
                                rowSum += loadV(q)
                                q += step
                            }
                            acc += rowSum
                        }
                        ky += sh
                        y -= 1
                    }
                    // Lanes past Cin hold other taps' values; a whole-vector store puts them
                    // into the next pixel's channels, which are written after this.
                    let d = img + pixel * inChannels + c0
                    if pixel * inChannels + c0 + lanes <= imageSize {
                        storeV(acc, d)
                    } else {
                        for i in 0..<(inChannels - c0) { d[i] = acc[i] }
                    }
                    c0 += lanes
                }
            }
        }
    }
}
