import Testing
@testable import TLTensor

/// Long skips go by jump-ahead; the generator must end exactly where drawing one by one does,
/// around and across the jump's segment size and with a spare normal deviate pending.
@Suite struct SkipDrawsTests {
    @Test(arguments: [0, 1, 4095, 4 * 4096 - 1, 4 * 4096, 4 * 4096 + 1, 5 * 4096 + 17, 100_003, 1 << 20])
    func skippingEqualsDrawing(count: Int) {
        var drawn = SeededGenerator(seed: UInt64(count) &+ 99), skipped = drawn
        for _ in 0..<count { _ = drawn.next() }
        skipped.skipDraws(count)
        #expect(skipped.fullState == drawn.fullState)
        #expect(skipped.next() == drawn.next())

        var u = SeededGenerator(seed: 5), su = u
        for _ in 0..<count { _ = u.nextUniform() }
        su.skipUniforms(count)
        #expect(su.fullState == u.fullState)

        for spare in [false, true] {
            var n = SeededGenerator(seed: 6), sn = n
            if spare { _ = n.nextNormal(); _ = sn.nextNormal() }
            for _ in 0..<count { _ = n.nextNormal() }
            sn.skipNormals(count)
            #expect(sn.fullState == n.fullState, "spare \(spare)")
            #expect(sn.nextNormal() == n.nextNormal())
        }
    }

    /// Uninitialised placeholders: right shape and count, generator advanced as by real draws.
    @Test func uninitialisedPlaceholdersAdvanceTheGeneratorAsDrawing() {
        var real = SeededGenerator(seed: 9), placeholder = real
        let t = Tensor.normal([301, 77], using: &real)
        let u = Tensor.uniform([70_001], using: &real)
        let (pt, pu) = Tensor.$placeholderInitialization.withValue(true) {
            Tensor.$uninitializedPlaceholders.withValue(true) {
                (Tensor.normal([301, 77], using: &placeholder), Tensor.uniform([70_001], using: &placeholder))
            }
        }
        #expect(pt.shape == t.shape && pt.count == t.count && pu.shape == u.shape && pu.count == u.count)
        #expect(placeholder.fullState == real.fullState)
        // Without placeholderInitialization the flag changes nothing: real values are drawn.
        var a = SeededGenerator(seed: 10), b = a
        let x = Tensor.uniform([9], using: &a)
        let y = Tensor.$uninitializedPlaceholders.withValue(true) { Tensor.uniform([9], using: &b) }
        #expect(x.scalars == y.scalars)
    }
}
