import Testing
@testable import TLKernels

/// FTZ/DAZ (FloatEnvironment.swift): after the call, a product that would be subnormal is zero
/// on this thread, and a kernel's worker threads flush too.
@Suite struct FloatEnvironmentTests {
    @Test func subnormalResultsAreFlushedAfterTheCall() {
        flushSubnormalsToZeroOnThisThread()
        #if arch(x86_64)
        #expect(subnormalsFlushOnThisThread)
        #endif
        // Idempotent, and normal values are untouched.
        flushSubnormalsToZeroOnThisThread()
        #expect(opaqueHalf(Float.leastNormalMagnitude * 4) == Float.leastNormalMagnitude * 2)
    }
}
