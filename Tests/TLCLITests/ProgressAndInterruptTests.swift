import Foundation
import Testing
@testable import TLCLI

/// Collects writes and serves a hand-moved clock.
final class FakeTerminal {
    var written: [String] = []
    var now = 0.0
}

@Suite struct ProgressReporterTests {
    func reporter(_ style: ProgressReporter.Style, _ terminal: FakeTerminal) -> ProgressReporter {
        ProgressReporter(style: style, write: { terminal.written.append($0) },
                         minRedrawInterval: 0.1, clock: { terminal.now }, columns: 100)
    }

    let sample = TrainingProgress(epoch: 3, totalEpochs: 10, step: 50, totalSteps: 200,
                                  loss: 0.41234, accuracy: 0.8731, samplesPerSecond: 1234.4)

    @Test func barRedrawsInPlaceAtABoundedRate() {
        let terminal = FakeTerminal()
        let progress = reporter(.bar, terminal)
        for step in 0..<1000 {  // 1000 updates within 0.5 s of fake time
            terminal.now = Double(step) * 0.0005
            progress.update(sample)
        }
        #expect(terminal.written.count == 5, "one draw per 0.1 s, got \(terminal.written.count)")
        let line = terminal.written[0]
        #expect(line.hasPrefix("\repoch 3/10 [") && line.hasSuffix("\u{1B}[K"))
        #expect(line.contains("50/200") && line.contains("loss 0.4123") && line.contains("acc 87.31%") && line.contains("1234 samples/s"))
        let cells = line.split(separator: "[", maxSplits: 1).last?.prefix { $0 != "]" } ?? ""
        #expect(cells.count >= 10 && cells.filter { $0 == "#" }.count == cells.count / 4, "a quarter of the cells filled: \(line)")
        #expect(line.contains("elapsed 0:00"))
        #expect(line.count - 4 <= 100)
        progress.finishEpoch(sample)
        // 0.5 s for 10% of the run (epochs 3 of 10 done, starting from epoch 3): 3.5 s to go.
        #expect(terminal.written.suffix(2) == ["\r\u{1B}[K", "epoch 3/10  loss 0.4123  acc 87.31%  1234 samples/s  elapsed 0:00  ETA 0:03\n"])
    }

    @Test func slowRatesKeepThreeSignificantDigits() {
        #expect(rateText(0.8449) == "0.84")
        #expect(rateText(1.19) == "1.19")
        #expect(rateText(12.34) == "12.3")
        #expect(rateText(1234.4) == "1234")
    }

    @Test func narrowTerminalDropsTheBar() {
        let terminal = FakeTerminal()
        let progress = ProgressReporter(style: .bar, write: { terminal.written.append($0) }, clock: { 0 }, columns: 40)
        progress.update(sample)
        let line = terminal.written[0].dropFirst().dropLast(3)
        #expect(line.count <= 39 && !line.contains("["))
    }

    @Test func linesModePrintsOneCleanLinePerEpoch() {
        let terminal = FakeTerminal()
        let progress = reporter(.lines, terminal)
        for second in 0..<20 {
            terminal.now = Double(second)
            progress.update(sample)
        }
        #expect(terminal.written.isEmpty, "no partial progress lines in a log: \(terminal.written)")
        terminal.now = 20
        progress.finishEpoch(TrainingProgress(epoch: 3, totalEpochs: 10, loss: 0.5, accuracy: 0.75, validationLoss: 0.25, validationAccuracy: 0.875))
        #expect(terminal.written == ["epoch 3/10  loss 0.5000  acc 75.00%  val loss 0.2500  val acc 87.50%  elapsed 0:20  ETA 2:20\n"])
        progress.message("saved checkpoint")
        #expect(terminal.written.last == "saved checkpoint\n")
    }

    @Test func etaFollowsTheRateSinceTheStart() {
        let terminal = FakeTerminal()
        let progress = reporter(.bar, terminal)
        terminal.now = 10   // half of epoch 1 of 10 took 10 s: 5% done, 190 s to go
        progress.update(TrainingProgress(epoch: 1, totalEpochs: 10, step: 50, totalSteps: 100))
        #expect(terminal.written.last?.contains("elapsed 0:10  ETA 3:10") == true, "\(terminal.written)")
        terminal.now = 40   // two epochs in 40 s: 160 s to go
        progress.finishEpoch(TrainingProgress(epoch: 2, totalEpochs: 10))
        #expect(terminal.written.last == "epoch 2/10  elapsed 0:40  ETA 2:40\n")
        terminal.now = 200  // the last epoch: no ETA
        progress.finishEpoch(TrainingProgress(epoch: 10, totalEpochs: 10))
        #expect(terminal.written.last == "epoch 10/10  elapsed 3:20\n")
        #expect(clockText(3723) == "1:02:03")
    }

    @Test func quietModePrintsOnlyImportantMessages() {
        let terminal = FakeTerminal()
        let progress = reporter(.quiet, terminal)
        progress.update(sample)
        progress.finishEpoch(sample)
        progress.message("chatter")
        progress.message("diverged: loss is NaN", important: true)
        #expect(terminal.written == ["diverged: loss is NaN\n"])
    }
}

@Suite(.serialized) struct InterruptionTests {
    @Test func firstInterruptSetsTheFlag() {
        Interruption.install()
        Interruption.reset()
        #expect(!Interruption.isRequested)
        // Process-directed, so it reaches a thread that does not block SIGINT (Dispatch
        // worker threads, which run these tests, block signals).
        kill(getpid(), SIGINT)
        let deadline = Date().addingTimeInterval(5)
        while !Interruption.isRequested && Date() < deadline { usleep(1000) }
        #expect(Interruption.isRequested)
        Interruption.reset()
        #expect(!Interruption.isRequested)
        Interruption.uninstall()
    }

    /// The second Ctrl-C must end the process with 130; check it in a forked child so the
    /// test process survives. The child only makes async-signal-safe calls.
    @Test func secondInterruptExitsWith130() {
        let child = fork()
        if child == 0 {
            // The forked child is a copy of this (Dispatch worker) thread, which blocks signals.
            var unblock = sigset_t()
            sigemptyset(&unblock)
            sigaddset(&unblock, SIGINT)
            pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
            Interruption.install()
            Interruption.reset()
            raise(SIGINT)
            raise(SIGINT)
            _exit(0)  // only reached if the second signal did not exit
        }
        #expect(child > 0)
        var status: Int32 = 0
        _ = waitpid(child, &status, 0)
        let exited = status & 0x7F == 0
        #expect(exited && (status >> 8) & 0xFF == 130, "status \(status)")
    }
}
