import TLKernels

/// Convolution benchmarks (GFLOPS = 2·M·K·Cout per pass, M = N·OH·OW, K = KH·KW·Cin) and the
/// equivalent plain GEMMs on materialised matrices of the same sizes, for comparison.
func convBenches() -> [Bench] {
    var out: [Bench] = []
    // (name, batch, H, W, Cin, Cout, geometry, backward input?)
    let cases: [(String, Int, Int, Int, Int, Int, Conv2DGeometry, Bool)] = [
        ("conv3x3-64to64-32x32-b32", 32, 32, 32, 64, 64, Conv2DGeometry(kernel: 3, padding: 1), true),
        ("conv5x5-1to32-28x28-b64", 64, 28, 28, 1, 32, Conv2DGeometry(kernel: 5), false),
        // The few-channel layers of Models/lenet.json and Models/resnet.json (tl-bench --train).
        ("lenet-conv1-5x5-1to6-28x28-b64", 64, 28, 28, 1, 6, Conv2DGeometry(kernel: 5, padding: 2), false),
        ("lenet-conv2-5x5-6to16-14x14-b64", 64, 14, 14, 6, 16, Conv2DGeometry(kernel: 5), true),
        ("resnet-3x3-16to16-28x28-b64", 64, 28, 28, 16, 16, Conv2DGeometry(kernel: 3, padding: 1), true),
        ("resnet-3x3-32to32-14x14-b64", 64, 14, 14, 32, 32, Conv2DGeometry(kernel: 3, padding: 1), true),
        ("resnet-3x3-64to64-7x7-b64", 64, 7, 7, 64, 64, Conv2DGeometry(kernel: 3, padding: 1), true),
        ("resnet-3x3s2-16to32-28x28-b64", 64, 28, 28, 16, 32, Conv2DGeometry(kernel: 3, stride: 2, padding: 1), true),
        ("resnet-3x3s2-32to64-14x14-b64", 64, 14, 14, 32, 64, Conv2DGeometry(kernel: 3, stride: 2, padding: 1), true),
        ("resnet-1x1s2-32to64-14x14-b64", 64, 14, 14, 32, 64, Conv2DGeometry(kernel: 1, stride: 2), true),
        ("resnet-stem-3x3-1to16-28x28-b64", 64, 28, 28, 1, 16, Conv2DGeometry(kernel: 3, padding: 1), false),
        ("resnet-1x1s2-16to32-28x28-b64", 64, 28, 28, 16, 32, Conv2DGeometry(kernel: 1, stride: 2), true),
    ]
    for (name, n, h, w, cin, cout, g, needInput) in cases {
        let oh = g.outputHeight(inputHeight: h), ow = g.outputWidth(inputWidth: w)
        let m = n * oh * ow, k = g.kernelHeight * g.kernelWidth * cin
        let passFlops = 2 * Double(m) * Double(k) * Double(cout)
        let make = { () -> (UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>,
                            UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>,
                            UnsafeMutableBufferPointer<Float>) in
            (filled(n * h * w * cin, seed: 1), filled(cout * k, seed: 2), filled(cout, seed: 3), filled(m * cout, seed: 4),
             filled(m * cout, seed: 5), filled(n * h * w * cin, seed: 6), filled(cout * k, seed: 7))
        }
        out.append(Bench(name: "\(name)-fwd", group: "conv", unit: "GFLOPS", work: passFlops) {
            let (x, wt, b, y, _, _, _) = make()
            return { conv2DForward(input: UnsafeBufferPointer(x), batch: n, height: h, width: w, inChannels: cin,
                                   weight: UnsafeBufferPointer(wt), bias: UnsafeBufferPointer(b), outChannels: cout,
                                   geometry: g, output: y) }
        })
        if needInput {
            out.append(Bench(name: "\(name)-dx", group: "conv", unit: "GFLOPS", work: passFlops) {
                let (_, wt, _, _, dy, dx, _) = make()
                return { conv2DBackwardInput(outputGradient: UnsafeBufferPointer(dy), batch: n, height: h, width: w,
                                             inChannels: cin, weight: UnsafeBufferPointer(wt), outChannels: cout,
                                             geometry: g, inputGradient: dx) }
            })
        }
        out.append(Bench(name: "\(name)-dw", group: "conv", unit: "GFLOPS", work: passFlops) {
            let (x, _, _, _, dy, _, dw) = make()
            return { conv2DBackwardWeight(input: UnsafeBufferPointer(x), outputGradient: UnsafeBufferPointer(dy), batch: n,
                                          height: h, width: w, inChannels: cin, outChannels: cout, geometry: g,
                                          weightGradient: dw) }
        })
        let passes = needInput ? 3.0 : 2.0
        out.append(Bench(name: "\(name)-fwdbwd", group: "conv", unit: "GFLOPS", work: passes * passFlops) {
            let (x, wt, b, y, dy, dx, dw) = make()
            let db = filled(cout)
            return {
                conv2DForward(input: UnsafeBufferPointer(x), batch: n, height: h, width: w, inChannels: cin,
                              weight: UnsafeBufferPointer(wt), bias: UnsafeBufferPointer(b), outChannels: cout,
                              geometry: g, output: y)
                if needInput {
                    conv2DBackwardInput(outputGradient: UnsafeBufferPointer(dy), batch: n, height: h, width: w,
                                        inChannels: cin, weight: UnsafeBufferPointer(wt), outChannels: cout,
                                        geometry: g, inputGradient: dx)
                }
                conv2DBackwardWeight(input: UnsafeBufferPointer(x), outputGradient: UnsafeBufferPointer(dy), batch: n,
                                     height: h, width: w, inChannels: cin, outChannels: cout, geometry: g,
                                     weightGradient: dw)
                conv2DBackwardBias(outputGradient: UnsafeBufferPointer(dy), rows: m, outChannels: cout, biasGradient: db)
            }
        })
        // The same products as plain GEMMs: P[M,K]·W[Cout,K]ᵀ, (dY[M,Cout]·W[Cout,K]), dY[M,Cout]ᵀ·P[M,K].
        out.append(Bench(name: "\(name)-gemm-equiv", group: "conv", unit: "GFLOPS", work: passes * passFlops) {
            let p = filled(m * k, seed: 8), wt = filled(cout * k, seed: 2), dy = filled(m * cout, seed: 5)
            let y = filled(m * cout), dp = filled(m * k), dw = filled(cout * k)
            return {
                sgemm(transA: false, transB: true, m: m, n: cout, k: k, alpha: 1, a: UnsafeBufferPointer(p), lda: k,
                      b: UnsafeBufferPointer(wt), ldb: k, beta: 0, c: y, ldc: cout)
                if needInput {
                    sgemm(transA: false, transB: false, m: m, n: k, k: cout, alpha: 1, a: UnsafeBufferPointer(dy), lda: cout,
                          b: UnsafeBufferPointer(wt), ldb: k, beta: 0, c: dp, ldc: k)
                }
                sgemm(transA: true, transB: false, m: cout, n: k, k: m, alpha: 1, a: UnsafeBufferPointer(dy), lda: cout,
                      b: UnsafeBufferPointer(p), ldb: k, beta: 0, c: dw, ldc: k)
            }
        })
    }
    return out
}
