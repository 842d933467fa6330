import Testing
@testable import TLKernels

/// `copyRows` against its naive twin on every backend and thread count: narrowing (drop the
/// last channel), widening with zeros and with per-row trailing values; nothing past the rows.
@Suite struct RowCopyTests {
    @Test func matchesReference() {
        let pool = BufferPool()
        defer { pool.free() }
        for (rows, cols) in rowShapes {
            let cases: [(source: Int, destination: Int, columns: Int, trailing: Bool)] = [
                (cols + 1, cols, cols, false), (cols, cols + 1, cols, false), (cols, cols + 1, cols, true), (cols, cols + 3, cols, true)]
            for c in cases {
                let src = randomArray(rows * c.source, seed: UInt64(rows + cols)), tail = randomArray(rows, seed: 3)
                let ref = pool.filled(rows * c.destination)
                copyRowsReference(pool.ro(src), sourceStride: c.source, into: ref, destinationStride: c.destination, rows: rows,
                                  columns: c.columns, trailing: c.trailing ? pool.ro(tail) : nil)
                for ctx in testContexts {
                    let out = pool.filled(rows * c.destination + 2)
                    copyRows(ctx, pool.ro(src), sourceStride: c.source, into: out, destinationStride: c.destination, rows: rows,
                             columns: c.columns, trailing: c.trailing ? pool.ro(tail) : nil)
                    for i in 0..<(rows * c.destination) { #expect(out[i] == ref[i], "\(rows)x\(cols) \(c) t\(ctx.threads) at \(i)") }
                    #expect(out[rows * c.destination].isNaN && out[rows * c.destination + 1].isNaN, "wrote past the rows")
                }
            }
        }
    }
}
