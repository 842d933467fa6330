import Testing
import Foundation
@testable import TLTransfer
import TLData
import TLModels

/// Which samples a baseline run (`tl eval --baseline`) trains and tests on.
@Suite struct ExperimentSplitTests {
    /// 3 classes of 10, 20 and 30 samples; feature = the sample's index, so subsets are traceable.
    func data() throws -> Dataset {
        let labels = [Int](repeating: 0, count: 10) + [Int](repeating: 1, count: 20) + [Int](repeating: 2, count: 30)
        return try Dataset(features: labels.indices.map { Float($0) }, sampleShape: [1], labels: labels,
                           classNames: ["a", "b", "c"], source: "toy")
    }

    func ids(_ d: Dataset) -> Set<Int> { Set(d.features.map { Int($0) }) }

    /// A fine-tuning that used every sample leaves nothing out, so each seed holds out a stratified
    /// 20% as its test set: disjoint from training, every sample in exactly one side, per class,
    /// the same for the same seed and different for another.
    @Test func everySampleUsedHoldsOutAStratifiedTestSplit() throws {
        let all = try data()
        let task = try TaskData.select(all, source: DataSource(format: "toy"), selection: DataSelection(classes: nil, perClass: nil, seed: 3))
        #expect(task.rest.count == 0)
        let (train, test) = try Experiments.trainAndTest(task, explicitTest: nil, seed: 3)
        #expect(ids(train).isDisjoint(with: ids(test)))
        #expect(ids(train).union(ids(test)) == Set(0..<60))
        #expect(test.classCounts() == [2, 4, 6])
        #expect(train.classCounts() == [8, 16, 24])
        let again = try Experiments.trainAndTest(task, explicitTest: nil, seed: 3)
        #expect(ids(again.test) == ids(test))
        let other = try Experiments.trainAndTest(task, explicitTest: nil, seed: 4)
        #expect(ids(other.test) != ids(test))
    }

    /// A few-shot draw tests on what it left out, and explicit test data wins over both.
    @Test func fewShotRemainderAndExplicitTestAreKept() throws {
        let all = try data()
        let task = try TaskData.select(all, source: DataSource(format: "toy"), selection: DataSelection(classes: nil, perClass: 5, seed: 1))
        let (train, test) = try Experiments.trainAndTest(task, explicitTest: nil, seed: 1)
        #expect(train.count == 15)
        #expect(test.count == 45)
        #expect(ids(train).isDisjoint(with: ids(test)))
        let explicit = all.subset([0, 10, 30])
        let withExplicit = try Experiments.trainAndTest(task, explicitTest: explicit, seed: 1)
        #expect(withExplicit.train.count == 15)
        #expect(ids(withExplicit.test) == [0, 10, 30])
    }

    /// A class of one sample leaves no stratified split: a clear error before any training
    /// (it used to train every run and then fail with "no held-out samples").
    @Test func aClassOfOneSampleIsRefusedBeforeTraining() throws {
        let labels = [0, 0, 0, 1, 2, 2]
        let all = try Dataset(features: labels.indices.map { Float($0) }, sampleShape: [1], labels: labels,
                              classNames: ["a", "b", "c"], source: "toy")
        let task = try TaskData.select(all, source: DataSource(format: "toy"), selection: DataSelection(classes: nil, perClass: nil, seed: 3))
        #expect(throws: HeldOutSplitError.self) { try Experiments.trainAndTest(task, explicitTest: nil, seed: 3) }
        do { _ = try Experiments.trainAndTest(task, explicitTest: nil, seed: 3) } catch let e as HeldOutSplitError {
            #expect(e.description == "toy: class 'b' has 1 sample, too few to hold out a test split (each class needs at least 2)")
        }
        // With test data given, nothing is held out and the single sample trains.
        let explicit = all.subset([0])
        #expect(try Experiments.trainAndTest(task, explicitTest: explicit, seed: 3).train.count == 6)
    }
}
