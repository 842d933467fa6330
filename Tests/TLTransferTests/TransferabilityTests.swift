import Testing
import Foundation
@testable import TLTransfer
import TLTensor
import TLModels
import TLSafeTensors
import TLData

/// LogME, LEEP, NCE and H-score against the NumPy reference (`Scripts/transferability_reference.py`)
/// on the fixed feature files in Tests/Fixtures/transferability, to 1e-4 relative.
@Suite struct TransferabilityTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/transferability")

    struct Case {
        var features: FeatureMatrix
        var labels: [Int]
        var probabilities: [Double]
        var sourceClasses: Int
        var classes: Int
    }

    static func rows(_ name: String) throws -> [[Double]] {
        let text = try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
        return text.split(separator: "\n").map { $0.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces))! } }
    }

    static func load(_ name: String) throws -> Case {
        let f = try rows("\(name)-features.csv"), p = try rows("\(name)-source-probabilities.csv")
        let labels = try rows("\(name)-labels.csv").map { Int($0[0]) }
        return Case(features: try FeatureMatrix(rows: f.count, columns: f[0].count, values: f.flatMap { $0 }), labels: labels,
                    probabilities: p.flatMap { $0 }, sourceClasses: p[0].count, classes: (labels.max() ?? 0) + 1)
    }

    static func reference() throws -> [String: [String: Double]] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("reference.json"))
        return try JSONDecoder().decode([String: [String: Double]].self, from: data)
    }

    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-4 * max(abs(b), 1e-12) }

    @Test(arguments: ["tall", "wide"]) func scoresMatchNumPy(_ name: String) throws {
        let c = try Self.load(name)
        let ref = try #require(try Self.reference()[name])
        let logme = try Transferability.logME(c.features, labels: c.labels, classes: c.classes)
        let h = try Transferability.hScore(c.features, labels: c.labels, classes: c.classes)
        let leep = try Transferability.leep(probabilities: c.probabilities, sourceClasses: c.sourceClasses, labels: c.labels, classes: c.classes)
        let hard = (0..<c.labels.count).map { i in (0..<c.sourceClasses).max { c.probabilities[i * c.sourceClasses + $0] < c.probabilities[i * c.sourceClasses + $1] }! }
        let nce = try Transferability.nce(sourceLabels: hard, labels: c.labels, classes: c.classes)
        #expect(Self.close(logme, ref["logme"]!), "LogME \(logme) vs NumPy \(ref["logme"]!)")
        #expect(Self.close(h, ref["hscore"]!), "H-score \(h) vs NumPy \(ref["hscore"]!)")
        #expect(Self.close(leep, ref["leep"]!), "LEEP \(leep) vs NumPy \(ref["leep"]!)")
        #expect(Self.close(nce, ref["nce"]!), "NCE \(nce) vs NumPy \(ref["nce"]!)")
    }

    @Test func informativeFeaturesScoreHigherThanShuffledOnes() throws {
        // The same features with the labels permuted carry no class signal: every score must drop.
        let c = try Self.load("tall")
        var rng = SeededGenerator(seed: 3)
        let shuffled = c.labels.shuffled(using: &rng)
        #expect(try Transferability.logME(c.features, labels: c.labels, classes: c.classes)
                > Transferability.logME(c.features, labels: shuffled, classes: c.classes))
        #expect(try Transferability.hScore(c.features, labels: c.labels, classes: c.classes)
                > Transferability.hScore(c.features, labels: shuffled, classes: c.classes))
    }

    @Test func ncePerfectAndUninformativeSourceLabels() throws {
        // Source labels that determine the target: H(Y|Z) = 0. A constant source label: −H(Y).
        let labels = [0, 0, 1, 1, 2, 2]
        #expect(try Transferability.nce(sourceLabels: labels, labels: labels, classes: 3) == 0)
        let constant = try Transferability.nce(sourceLabels: [0, 0, 0, 0, 0, 0], labels: labels, classes: 3)
        #expect(abs(constant - (-log(3.0))) < 1e-12)
    }

    @Test func eigenDecompositionReconstructsTheMatrix() {
        let a: [Double] = [4, 1, 2, 1, 3, 0.5, 2, 0.5, 5]
        let e = SymmetricEigen(a, n: 3)
        for i in 0..<3 { for j in 0..<3 {
            let r = (0..<3).reduce(0.0) { $0 + e.vectors[i * 3 + $1] * e.values[$1] * e.vectors[j * 3 + $1] }
            #expect(abs(r - a[i * 3 + j]) < 1e-10)
        } }
        #expect(e.values == e.values.sorted(by: >))
    }

    @Test func kendallTauOfAgreeingAndReversedRankings() {
        let a = [1.0, 2, 3, 4, 5]
        #expect(Transferability.kendallTau(a, a.map { $0 * 10 }) == 1)
        #expect(Transferability.kendallTau(a, a.reversed()) == -1)
        // One swapped pair out of 10: (9 − 1) / 10.
        #expect(abs(Transferability.kendallTau(a, [2, 1, 3, 4, 5]) - 0.8) < 1e-12)
    }

    @Test func badInputIsAnErrorNotACrash() throws {
        let f = try FeatureMatrix(rows: 2, columns: 1, values: [1, 2])
        #expect(throws: TransferabilityError.self) { try Transferability.logME(f, labels: [0], classes: 2) }
        #expect(throws: TransferabilityError.self) { try Transferability.hScore(f, labels: [0, 5], classes: 2) }
        #expect(throws: TransferabilityError.self) { try FeatureMatrix(rows: 2, columns: 2, values: [1]) }
    }

    @Test func autoFreezeFreezesThroughTheBestScoredBlock() {
        let scores = [(-0.3, "conv1"), (-0.1, "conv2"), (-0.2, "fc1"), (-0.1, "fc2")].enumerated().map {
            FreezeChoice.BlockScore(block: $0.offset, name: $0.element.1, logME: $0.element.0)
        }
        let choice = AutoFreeze.decide(scores)
        #expect(choice.frozenThrough == 1)   // the highest; on a tie the lower block
        #expect(AutoFreeze.selector(choice).description == "0..1")
        #expect(AutoFreeze.decide([scores[0]]).frozenThrough == 0)
    }
}
