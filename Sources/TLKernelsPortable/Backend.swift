// Portable backend: default x86-64 / any target, no unsafe flags. Safe on every CPU.

/// c + a·b with a separate multiply and add: without FMA in the target, `addingProduct`
/// would become one libm `fmaf` call per lane (6-10x slower), so it is avoided here.
@inline(__always) func madd(_ c: VF, _ a: VF, _ b: VF) -> VF { c + a * b }

/// Name reported by `kernelBackendName` in TLKernels.
public let backendName = "portable"
