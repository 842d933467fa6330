import Foundation
import Testing
@testable import TLKernels

/// The residual tail kernel (`addRelu`) against its naive twin, and the memory-bound thread
/// split (`parallelElements`) that the elementwise tensor passes run on.
@Suite struct ResidualTailKernelTests {
    /// Lengths with and without a scalar tail; outputs fresh and aliasing either input.
    @Test(arguments: [1, 15, 16, 17, 100, 4099])
    func addReluMatchesReference(_ n: Int) {
        let pool = BufferPool()
        defer { pool.free() }
        var a = randomArray(n, seed: 31), b = randomArray(n, seed: 32)
        for i in stride(from: 0, to: n, by: 7) { b[i] = -a[i] }          // exact zeros: the kink
        let pa = pool.copy(a), pb = pool.copy(b)
        let ref = pool.filled(n), out = pool.filled(n)
        addReluReference(pa.baseAddress!, pb.baseAddress!, ref.baseAddress!, count: n)
        addRelu(pa.baseAddress!, pb.baseAddress!, out.baseAddress!, count: n)
        #expect(Array(out) == Array(ref), "n \(n)")
        #expect(ref.contains(0) && (n < 4 || ref.contains { $0 > 0 }))
        // out may alias an input.
        let alias = pool.copy(a)
        addRelu(alias.baseAddress!, pb.baseAddress!, alias.baseAddress!, count: n)
        #expect(Array(alias) == Array(ref), "aliased, n \(n)")
    }

    /// The chunks tile 0..<n exactly (contiguous, no overlap), their bounds are multiples of
    /// 16, and a forced split really uses more than one chunk.
    @Test(arguments: [1, 16, 17, 1000, 100_003])
    func parallelElementsTilesTheRange(_ n: Int) {
        for threads in [1, 2, 3] {
            let ctx = KernelContext(backend: .portable, threads: threads, minParallelWork: 0)
            let log = ChunkLog()
            parallelElements(ctx, count: n, streams: 3) { log.append($0) }
            let chunks = log.ranges.sorted { $0.lowerBound < $1.lowerBound }
            let tag = "n \(n) threads \(threads): \(chunks)"
            #expect(chunks.first?.lowerBound == 0 && chunks.last?.upperBound == n, "\(tag)")
            #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }, "\(tag)")
            #expect(chunks.allSatisfy { $0.lowerBound % 16 == 0 && !$0.isEmpty }, "\(tag)")
            if threads > 1 && n >= 16 * threads { #expect(chunks.count == threads, "\(tag)") }
        }
    }

    /// Below the memory-bound threshold nothing is split; a ResNet activation is split.
    @Test func thresholdSplitsLargePassesOnly() {
        let ctx = KernelContext(backend: .portable, threads: 2)
        let small = ChunkLog(), big = ChunkLog()
        parallelElements(ctx, count: 1000, streams: 3) { small.append($0) }
        parallelElements(ctx, count: 64 * 28 * 28 * 16, streams: 3) { big.append($0) }
        #expect(small.ranges.count == 1 && big.ranges.count == 2)
    }
}


/// The ranges handed to a parallel body (appended from several kernel threads).
final class ChunkLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Range<Int>] = []
    func append(_ r: Range<Int>) { lock.lock(); stored.append(r); lock.unlock() }
    var ranges: [Range<Int>] { lock.lock(); defer { lock.unlock() }; return stored }
}
