import TLKernels

// Jump-ahead for SeededGenerator (xoshiro256**), so a long dropout mask can be drawn by several
// threads and still be the very same stream as one thread drawing it front to back.
//
// xoshiro256's state transition is linear over GF(2): the 256 state bits after one draw are an
// XOR of bits before it, i.e. a 256×256 bit matrix M. The state k draws ahead is Mᵏ·s. The mask
// is cut into segments of `segmentDraws` draws (4 elements per draw); the state at the start of
// segment j is (M^segmentDraws)ʲ·s, applied as one matrix-vector product per set bit of j from
// the precomputed powers M^(segmentDraws·2ⁱ). Every element is still decided by the same draw
// and the same 16 bits as in the sequential loop, and the generator ends in the same state, so
// the factors depend on the seed only, never on the thread count.

/// The generator state as four words (s0, s1, s2, s3).
typealias XoshiroState = (UInt64, UInt64, UInt64, UInt64)

enum XoshiroJump {
    /// Draws per segment of a split mask (16,384 elements: a multiple of the 16-wide loop).
    static let segmentDraws = 4096
    /// Elements per segment.
    static let segmentElements = 4 * segmentDraws
    /// Powers kept: enough for 2²⁴ segments (2.7 · 10¹¹ elements).
    static let powerCount = 24

    /// powers[i] = M^(segmentDraws · 2ⁱ), each as 256 columns of 4 words (column c = the image
    /// of state bit c: word c / 64, bit c % 64). Built once, on first use (~35 squarings).
    static let powers: [[UInt64]] = {
        var m = identityImages(of: step)
        var draws = 1
        while draws < segmentDraws { m = square(m); draws *= 2 }
        precondition(draws == segmentDraws, "segmentDraws must be a power of two")
        var result = [m]
        for _ in 1..<powerCount { m = square(m); result.append(m) }
        return result
    }()

    /// One draw's state update of `SeededGenerator.next()` (its linear part, the whole of it).
    @inline(__always)
    static func step(_ s: XoshiroState) -> XoshiroState {
        var (a, b, c, d) = s
        let t = b << 17
        c ^= a; d ^= b; b ^= c; a ^= d; c ^= t
        d = (d << 45) | (d >> 19)
        return (a, b, c, d)
    }

    /// The matrix of a linear map: the images of the 256 unit states.
    static func identityImages(of map: (XoshiroState) -> XoshiroState) -> [UInt64] {
        var columns = [UInt64](repeating: 0, count: 1024)
        for c in 0..<256 {
            var words: [UInt64] = [0, 0, 0, 0]
            words[c / 64] = 1 << UInt64(c % 64)
            let image = map((words[0], words[1], words[2], words[3]))
            (columns[4 * c], columns[4 * c + 1], columns[4 * c + 2], columns[4 * c + 3]) = image
        }
        return columns
    }

    /// m · s over GF(2): the XOR of the columns of the set bits of s.
    static func apply(_ m: UnsafePointer<UInt64>, _ s: XoshiroState) -> XoshiroState {
        var r: XoshiroState = (0, 0, 0, 0)
        let words = [s.0, s.1, s.2, s.3]
        for w in 0..<4 {
            var bits = words[w]
            while bits != 0 {
                let col = m + 4 * (64 * w + bits.trailingZeroBitCount)
                r.0 ^= col[0]; r.1 ^= col[1]; r.2 ^= col[2]; r.3 ^= col[3]
                bits &= bits &- 1
            }
        }
        return r
    }

    /// m · m.
    static func square(_ m: [UInt64]) -> [UInt64] {
        m.withUnsafeBufferPointer { p in
            var out = [UInt64](repeating: 0, count: 1024)
            for c in 0..<256 {
                let col = (p[4 * c], p[4 * c + 1], p[4 * c + 2], p[4 * c + 3])
                (out[4 * c], out[4 * c + 1], out[4 * c + 2], out[4 * c + 3]) = apply(p.baseAddress!, col)
            }
            return out
        }
    }

    /// The state `segments` segments (segments · segmentDraws draws) after `s`.
    static func advance(_ s: XoshiroState, segments: Int) -> XoshiroState {
        precondition(segments >= 0 && segments < 1 << powerCount, "XoshiroJump: jump beyond the precomputed powers")
        var state = s, k = segments, i = 0
        while k != 0 {
            if k & 1 != 0 { state = powers[i].withUnsafeBufferPointer { apply($0.baseAddress!, state) } }
            k >>= 1; i += 1
        }
        return state
    }
}

extension SeededGenerator {
    /// `count` inverted-dropout factors: 1/keep with probability `keep`, else 0. Each 64-bit
    /// draw decides four elements (16 bits each: an element is kept when its bits are below
    /// keep·2¹⁶, so the keep probability is rounded to a multiple of 2⁻¹⁶), branch-free.
    /// Long masks are drawn in segments across the kernel threads (jump-ahead above): the
    /// factors and the generator's next state are those of one sequential pass, for any
    /// thread count.
    public mutating func dropoutFactors(count: Int, keep: Float) -> [Float] {
        // ~1 ns per element; split from ~125k elements (parallelChunks' threshold at weight 64).
        dropoutFactors(count: count, keep: keep) { segments, body in
            parallelChunks(units: segments, work: count * memoryBoundWeight, body)
        }
    }

    /// The same with the segments handed out by `split(segmentCount, body)`, which must call
    /// `body` once for each range of a partition of `0..<segmentCount` (in any order; tests
    /// pass their own partitions).
    mutating func dropoutFactors(count: Int, keep: Float, split: (Int, (Range<Int>) -> Void) -> Void) -> [Float] {
        let start = rawState
        let per = XoshiroJump.segmentElements
        let segments = (count + per - 1) / per
        let end = UnsafeMutablePointer<XoshiroState>.allocate(capacity: 1)
        defer { end.deallocate() }
        end.initialize(to: start)
        let out = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let o = buffer.baseAddress, segments > 0 {
                split(segments) { range in
                    guard !range.isEmpty else { return }
                    let lo = range.lowerBound * per, hi = Swift.min(count, range.upperBound * per)
                    let state = XoshiroJump.advance(start, segments: range.lowerBound)
                    let final = Self.fillDropoutFactors(o + lo, count: hi - lo, keep: keep, state: state)
                    if range.upperBound == segments { end.pointee = final }
                }
            }
            initialized = count
        }
        rawState = end.pointee
        return out
    }

    /// The loop of `dropoutFactors` on a state held in locals (registers), returning the new state.
    static func fillDropoutFactors(_ o: UnsafeMutablePointer<Float>, count: Int, keep: Float,
                                   state: XoshiroState) -> XoshiroState {
        let threshold = UInt64((Double(keep) * 65536).rounded())
        let scale = 1 / keep
        var (a, b, c, d) = state
        @inline(__always) func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }
        @inline(__always) func draw() -> UInt64 {                         // = next()
            let result = rotl(b &* 5, 7) &* 9
            let t = b << 17
            c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = rotl(d, 45)
            return result
        }
        // 16 elements from 4 draws at a time: lane j takes bits 16(j mod 4)… of draw j/4, the
        // same order as the scalar tail. keep ⇔ bits < threshold ⇔ top bit of bits − threshold;
        // that bit spread to a lane mask selects scale's bit pattern (no int → float conversion,
        // which the generic SIMD initialiser ran lane by lane).
        let thresholds = SIMD16<UInt32>(repeating: UInt32(threshold)), scaleBits = SIMD16<UInt32>(repeating: scale.bitPattern)
        let zero = SIMD16<UInt32>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            let words = SIMD4<UInt64>(draw(), draw(), draw(), draw())
            let bits = SIMD16<UInt32>(truncatingIfNeeded: unsafeBitCast(words, to: SIMD16<UInt16>.self))
            let kept = (zero &- ((bits &- thresholds) &>> 31)) & scaleBits
            UnsafeMutableRawPointer(o + i).storeBytes(of: kept, as: SIMD16<UInt32>.self)
            i += 16
        }
        while i < count {
            var bits = draw()
            for j in i..<Swift.min(i + 4, count) { o[j] = bits & 0xFFFF < threshold ? scale : 0; bits >>= 16 }
            i += 4
        }
        return (a, b, c, d)
    }
}
