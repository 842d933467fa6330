#if canImport(Glibc)
import Glibc
#endif

// Subnormal floats flushed to zero (FTZ) and read as zero (DAZ) on every thread that runs tl's
// arithmetic, as TensorFlow does by default on CPUs.
//
// Why: an FMA or multiply with a subnormal operand or result takes a microcode assist on x86
// (on the order of 100 cycles instead of 1). A deep ReLU stack at default initialisation
// shrinks activations by a constant factor per block, so somewhere past ~80 blocks they sink
// into the subnormal range (below 1.2e-38) and every step slows down several-fold: measured
// before this change, a stack of 64-unit linear+ReLU blocks trained at 11,400 samples/s with 64
// blocks and 2,100 with 128 (5.4× slower for 2× the work), while 256 blocks recovered partly once
// the activations underflowed to exact zeros. Values that small carry no information for
// training (they are 1e-38 of the typical activation), so flushing them changes no result that
// matters and makes the cost of a step linear in the number of blocks again.

/// Sets FTZ and DAZ on the calling thread (x86-64: MXCSR bits 15 and 6, through glibc's
/// `fenv_t`, which carries MXCSR; other platforms: unchanged). Cheap when already set.
@inline(__always)
public func flushSubnormalsToZeroOnThisThread() {
    #if canImport(Glibc) && arch(x86_64)
    var env = fenv_t()
    guard fegetenv(&env) == 0 else { return }
    let bits: UInt32 = 0x8040
    if env.__mxcsr & bits != bits {
        env.__mxcsr |= bits
        _ = fesetenv(&env)
    }
    #endif
}

/// Whether subnormal results are flushed to zero on the calling thread (tests).
public var subnormalsFlushOnThisThread: Bool {
    var tiny = Float.leastNormalMagnitude
    withUnsafeMutablePointer(to: &tiny) { _ in }  // keep the value opaque to constant folding
    return opaqueHalf(tiny) == 0
}

@inline(never)
func opaqueHalf(_ x: Float) -> Float { x * 0.5 }
