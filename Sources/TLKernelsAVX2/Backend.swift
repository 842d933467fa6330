// Backend configuration: AVX2 + FMA (compiled with -target-cpu haswell, see Package.swift).
// Runs only after TLKernels found `avx2` and `fma` in /proc/cpuinfo.

/// c + a·b as one fused multiply-add (vfmadd231ps with this target).
@inline(__always) func madd(_ c: VF, _ a: VF, _ b: VF) -> VF { c.addingProduct(a, b) }

/// Name reported by `kernelBackendName` in TLKernels.
public let backendName = "avx2"
