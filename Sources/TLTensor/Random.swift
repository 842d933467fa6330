import Foundation

/// A seeded, reproducible pseudo-random generator (xoshiro256**, seeded via SplitMix64).
///
/// There is no global random state anywhere in `tl`: every consumer of randomness
/// (initialisers, dropout, shuffling, augmentation) takes one of these explicitly, so the
/// same seed gives the same weights, batches and losses. The full state is four words and
/// can be saved and restored (`state`) for exact resume.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    /// The raw generator state; assign a saved value to resume a stream exactly.
    public var state: [UInt64] {
        get { [s0, s1, s2, s3] }
        set {
            precondition(newValue.count == 4, "SeededGenerator state has 4 words")
            (s0, s1, s2, s3) = (newValue[0], newValue[1], newValue[2], newValue[3])
            if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }
        }
    }
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    /// A cached second normal deviate from Box–Muller, so pairs are not wasted.
    private var spareNormal: Float? = nil

    /// Creates a generator whose whole stream is determined by `seed`.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// Restores a generator from a saved `state` (4 words).
    public init(state: [UInt64]) {
        self.init(seed: 0)
        self.state = state
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform Float in [low, high).
    public mutating func nextUniform(in low: Float, _ high: Float) -> Float {
        low + (high - low) * nextUniform()
    }

    /// A standard normal deviate (Box–Muller in Double for accuracy in the tails).
    public mutating func nextNormal() -> Float {
        if let spare = spareNormal { spareNormal = nil; return spare }
        // u1 in (0, 1] so log(u1) is finite.
        let u1 = (Double(next() >> 11) + 1.0) * (1.0 / 9_007_199_254_740_992.0)
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let r = (-2.0 * Foundation.log(u1)).squareRoot()
        let theta = 2.0 * Double.pi * u2
        spareNormal = Float(r * Foundation.sin(theta))
        return Float(r * Foundation.cos(theta))
    }

    /// Advances the stream exactly as `count` calls of `nextUniform()` would, without
    /// computing the values (one `next()` each).
    public mutating func skipUniforms(_ count: Int) {
        skipDraws(count)   // one next() each, long runs by jump-ahead (SeededGenerator+Skip.swift)
    }

    /// Advances the stream exactly as `count` calls of `nextNormal()` would, spare deviate
    /// included, but computes only the last pair when `count` leaves one half of a pair
    /// cached: Box–Muller's log, sin and cos are most of the cost of drawing normals, and a
    /// draw whose value is thrown away (`Tensor.placeholderInitialization`) needs none.
    public mutating func skipNormals(_ count: Int) {
        var left = max(count, 0)
        if left > 0, spareNormal != nil { spareNormal = nil; left -= 1 }
        skipDraws(2 * (left / 2))   // two next() per pair
        if left % 2 == 1 { _ = nextNormal() }
    }

    /// The four state words as a tuple (dropout masks: SeededGenerator+Jump.swift).
    var rawState: (UInt64, UInt64, UInt64, UInt64) {
        get { (s0, s1, s2, s3) }
        set { (s0, s1, s2, s3) = newValue }
    }

    /// A uniform integer in `0..<upperBound` without modulo bias.
    public mutating func nextInt(below upperBound: Int) -> Int {
        precondition(upperBound > 0)
        return Int(next(upperBound: UInt64(upperBound)))
    }

    /// Derives an independent generator (for a sub-stream such as dropout masks)
    /// without disturbing reproducibility of this one beyond one draw.
    public mutating func split() -> SeededGenerator {
        SeededGenerator(seed: next())
    }

    /// Full state including the cached normal deviate, for exact resume.
    public var fullState: [UInt64] {
        state + [spareNormal.map { UInt64($0.bitPattern) | (1 << 32) } ?? 0]
    }

    /// Restores a generator from `fullState`.
    public init(fullState: [UInt64]) {
        self.init(state: Array(fullState.prefix(4)))
        if fullState.count > 4, fullState[4] & (1 << 32) != 0 {
            spareNormal = Float(bitPattern: UInt32(truncatingIfNeeded: fullState[4]))
        }
    }
}

extension Array {
    /// Fisher–Yates shuffle driven by a `SeededGenerator` (deterministic across platforms,
    /// unlike `shuffle(using:)` whose algorithm the standard library does not promise).
    public mutating func seededShuffle(using rng: inout SeededGenerator) {
        guard count > 1 else { return }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = rng.nextInt(below: i + 1)
            if i != j { swapAt(i, j) }
        }
    }
}
