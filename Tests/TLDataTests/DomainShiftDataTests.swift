import Testing
import Foundation
@testable import TLData

/// The data side of domain adaptation: `invert=yes` (a constructed shift) and imbalanced
/// few-shot draws (one count per class).
@Suite struct DomainShiftDataTests {
    @Test func invertIsAnOptionOfBuiltinsAndImageFormats() throws {
        let s = try DataSource.parse("mnist5k,invert=yes")
        #expect(s.format == "mnist5k" && s.options == ["invert": "yes"])
        #expect(s.description == "mnist5k,invert=yes")
        #expect(try DataSource.parse(s.description) == s)   // round-trips, so checkpoints record it
        #expect(try DataSource.parse("mnist5k").description == "mnist5k")
        let plain = try DataSource.parse("digits").load(), inverted = try DataSource.parse("digits,invert=yes").load()
        #expect(plain.labels == inverted.labels && plain.count == inverted.count)
        #expect(zip(plain.features, inverted.features).allSatisfy { Swift.abs($0 + $1 - 1) < 1e-6 })
        #expect(inverted.source.contains("inverted"))
        #expect(try DataSource.parse("idx:DIR,invert=yes").options["invert"] == "yes")
        #expect(throws: DataSourceError.self) { try DataSource.parse("mnist5k,invert=sometimes") }
        #expect(throws: DataSourceError.self) { try DataSource.parse("mnist5k,scale=2") }
        #expect(throws: DataSourceError.self) { try DataSource.parse("mnist5k,invert=yes,invert=no") }
        #expect(DataSource.helpLines().contains { $0.contains("invert=yes|no") })
    }

    @Test func perClassCountsDrawAnImbalancedSample() throws {
        let data = try DataSource.parse("digits").load()
        let counts = [20, 20, 20, 20, 20, 3, 3, 3, 3, 3]
        let chosen = try data.fewShotIndices(counts: counts, seed: 4)
        #expect(data.subset(chosen).classCounts() == counts)
        #expect(Set(chosen).count == chosen.count)
        // Equal counts draw exactly what --per-class N draws.
        let equal = try data.fewShotIndices(counts: [Int](repeating: 7, count: 10), seed: 4), uniform = try data.fewShotIndices(perClass: 7, seed: 4)
        #expect(equal == uniform)
        #expect(throws: DataError.self) { try data.fewShotIndices(counts: [1, 2], seed: 0) }
        #expect(throws: DataError.self) { try data.fewShotIndices(counts: [Int](repeating: 0, count: 10), seed: 0) }
        #expect(throws: DataError.self) { try data.fewShotIndices(counts: [Int](repeating: 1000, count: 10), seed: 0) }
    }
}
