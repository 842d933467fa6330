import Foundation
import Testing
@testable import TLOptim

@Suite struct ScheduleTests {
    func near(_ a: Double, _ b: Double) -> Bool { Swift.abs(a - b) < 1e-12 }

    @Test func basicSchedules() {
        #expect(LearningRateSchedule.constant.factor(at: 123) == 1)
        let step = LearningRateSchedule.step(stepSize: 3, gamma: 0.1)
        #expect([0, 2, 3, 5, 6].map { step.factor(at: $0) } == [1, 1, 0.1, 0.1, pow(0.1, 2)])
        let cosine = LearningRateSchedule.cosine(totalSteps: 10, minimumFactor: 0.1)
        #expect(near(cosine.factor(at: 0), 1) && near(cosine.factor(at: 5), 0.55) && near(cosine.factor(at: 10), 0.1))
        #expect(near(cosine.factor(at: 3), 0.1 + 0.9 * (1 + cos(Double.pi * 0.3)) / 2))
        #expect(near(cosine.factor(at: 50), 0.1))
        let linear = LearningRateSchedule.linear(totalSteps: 4, endFactor: 0)
        #expect([0, 1, 4, 9].map { linear.factor(at: $0) } == [1, 0.75, 0, 0])
    }

    @Test func warmupComposesWithAnySchedule() {
        let w = LearningRateSchedule.warmup(steps: 4, startFactor: 0, then: .step(stepSize: 2, gamma: 0.5))
        #expect([0, 1, 2, 3, 4, 5, 6].map { w.factor(at: $0) } == [0, 0.25, 0.5, 0.75, 1, 1, 0.5])
        let wc = LearningRateSchedule.warmup(steps: 2, startFactor: 0.5, then: .cosine(totalSteps: 4, minimumFactor: 0))
        #expect(wc.factor(at: 1) == 0.75 && near(wc.factor(at: 4), 0.5) && near(wc.factor(at: 6), 0))
    }

    /// PyTorch OneCycleLR(max_lr=1, total_steps=10) values, from its phase formulas in Double:
    /// phase 1 ends at step 0.3·10 − 1 = 2, phase 2 at 9; initial 1/25, min 1/25/1e4.
    @Test func oneCycleMatchesPyTorch() {
        let s = LearningRateSchedule.oneCycle(totalSteps: 10)
        func anneal(_ a: Double, _ b: Double, _ p: Double) -> Double { b + (a - b) / 2 * (1 + cos(Double.pi * p)) }
        let initial = 1.0 / 25, minimum = initial / 1e4
        for step in 0..<10 {
            let expectedLR = step <= 2 ? anneal(initial, 1, Double(step) / 2) : anneal(1, minimum, Double(step - 2) / 7)
            let expectedMomentum = step <= 2 ? anneal(0.95, 0.85, Double(step) / 2) : anneal(0.85, 0.95, Double(step - 2) / 7)
            #expect(near(s.factor(at: step), expectedLR), "step \(step)")
            #expect(near(s.momentum(at: step)!, expectedMomentum), "momentum step \(step)")
        }
        #expect(near(s.factor(at: 0), 0.04) && near(s.factor(at: 2), 1) && near(s.factor(at: 9), minimum))
        #expect(near(s.factor(at: 1), (0.04 + 1) / 2))
        #expect(LearningRateSchedule.cosine(totalSteps: 5, minimumFactor: 0).momentum(at: 1) == nil)
    }

    @Test func schedulesArePureFunctionsOfTheStep() {
        let s = LearningRateSchedule.warmup(steps: 3, startFactor: 0.1, then: .oneCycle(totalSteps: 20))
        let forward = (0..<25).map { s.factor(at: $0) }
        let backward = (0..<25).reversed().map { s.factor(at: $0) }.reversed()
        #expect(forward == Array(backward))
    }
}
