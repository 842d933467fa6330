import Testing
import Foundation
@testable import TLTransfer
import TLSafeTensors
import TLModels

@Suite struct MetricsTests {
    @Test func metricsWorkedByHand() {
        // 4 samples, 2 classes. Predictions: 0 (0.9), 1 (0.6), 1 (0.8), 0 (0.7); labels 0, 0, 1, 1.
        let p: [Float] = [0.9, 0.1, 0.4, 0.6, 0.2, 0.8, 0.7, 0.3]
        let m = ClassificationMetrics(probabilities: p, labels: [0, 0, 1, 1], classes: 2)
        #expect(m.confusion == [[1, 1], [1, 1]])
        #expect(m.accuracy == 0.5)
        #expect(m.precision == [0.5, 0.5] && m.recall == [0.5, 0.5])
        #expect(Swift.abs(m.macroF1 - 0.5) < 1e-12)
        // NLL = −(ln .9 + ln .4 + ln .8 + ln .3) / 4
        let nll = -(log(0.9) + log(0.4) + log(0.8) + log(0.3)) / 4
        #expect(Swift.abs(m.meanLoss - nll) < 1e-6)
        // ECE, 15 bins: confidences .9 (correct), .6 (wrong), .8 (correct), .7 (wrong), each alone in its bin:
        // (|1−.9| + |0−.6| + |1−.8| + |0−.7|) / 4 = 0.4
        #expect(Swift.abs(m.expectedCalibrationError - 0.4) < 1e-6)
    }

    @Test func perfectAndCalibrated() {
        let m = ClassificationMetrics(probabilities: [1, 0, 0, 0, 1, 0, 0, 0, 1], labels: [0, 1, 2], classes: 3)
        #expect(m.accuracy == 1 && m.macroF1 == 1 && m.expectedCalibrationError == 0)
    }

    @Test func verdicts() {
        let positive = TransferGain(transferred: [0.80, 0.82, 0.79], scratch: [0.60, 0.63, 0.58])
        #expect(positive.verdict == .positive)
        #expect(Swift.abs(positive.mean - 0.2) < 1e-9)
        // sd of [.20, .19, .21] = .01 → half-width 4.303 · .01 / √3
        #expect(Swift.abs((positive.upper - positive.lower) / 2 - 4.303 * 0.01 / 3.0.squareRoot()) < 1e-9)
        #expect(TransferGain(transferred: [0.5, 0.52, 0.49], scratch: [0.60, 0.63, 0.58]).verdict == .negative)
        #expect(TransferGain(transferred: [0.60, 0.50, 0.70], scratch: [0.60, 0.60, 0.60]).verdict == .noSignificantDifference)
        #expect(TransferGain(transferred: [0.9], scratch: [0.1]).verdict == .noSignificantDifference)
        #expect(Swift.abs(TransferGain.studentT975(degreesOfFreedom: 1000) - 1.9623) < 1e-3)
    }
}
