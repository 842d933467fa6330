import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A snapshot of training progress for `ProgressReporter`.
public struct TrainingProgress: Sendable, Equatable {
    public var epoch: Int
    public var totalEpochs: Int
    /// Batches done in this epoch, and per epoch (0 when unknown).
    public var step: Int
    public var totalSteps: Int
    public var loss: Double?
    /// Fraction in [0, 1].
    public var accuracy: Double?
    public var samplesPerSecond: Double?
    /// Validation figures (at the end of an epoch).
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    /// A short remark for the epoch line ("blocks 0–1 cached").
    public var note: String?

    public init(epoch: Int, totalEpochs: Int, step: Int = 0, totalSteps: Int = 0,
                loss: Double? = nil, accuracy: Double? = nil, samplesPerSecond: Double? = nil,
                validationLoss: Double? = nil, validationAccuracy: Double? = nil, note: String? = nil) {
        self.epoch = epoch
        self.totalEpochs = totalEpochs
        self.step = step
        self.totalSteps = totalSteps
        self.loss = loss
        self.accuracy = accuracy
        self.samplesPerSecond = samplesPerSecond
        self.validationLoss = validationLoss
        self.validationAccuracy = validationAccuracy
        self.note = note
    }

    /// "epoch 3/10  120/266  loss 0.4123  acc 87.31%  val loss 0.3810  val acc 88.00%  1234 samples/s"
    var summary: String {
        var parts = ["epoch \(epoch)/\(totalEpochs)"]
        if totalSteps > 0 { parts.append("\(step)/\(totalSteps)") }
        if let loss { parts.append("loss " + fixed(loss, 4)) }
        if let accuracy { parts.append("acc " + fixed(accuracy * 100, 2) + "%") }
        if let validationLoss { parts.append("val loss " + fixed(validationLoss, 4)) }
        if let validationAccuracy { parts.append("val acc " + fixed(validationAccuracy * 100, 2) + "%") }
        if let samplesPerSecond { parts.append(rateText(samplesPerSecond) + " samples/s") }
        if let note { parts.append(note) }
        return parts.joined(separator: "  ")
    }

    /// Fraction of the whole run done: finished epochs plus the part of this one.
    var fractionDone: Double {
        guard totalEpochs > 0 else { return 0 }
        let within = totalSteps > 0 ? Double(step) / Double(totalSteps) : 1
        return min(1, max(0, (Double(epoch - 1) + within) / Double(totalEpochs)))
    }
}

/// "0:07", "12:34", "1:02:03".
func clockText(_ seconds: Double) -> String {
    let s = Int(max(0, seconds).rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}

/// A throughput with about three significant digits, so a slow run (an EfficientNet on 2
/// cores: 1.2 samples/s) never shows as "0 samples/s": "0.84", "1.19", "12.3", "1234".
func rateText(_ value: Double) -> String {
    guard value.isFinite else { return "\(value)" }
    return fixed(value, value < 10 ? 2 : value < 100 ? 1 : 0)
}

/// Formats with a fixed number of decimals without Foundation's locale machinery.
func fixed(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    return String(format: "%.\(decimals)f", value)
}

/// Reports training progress on stderr.
///
/// - `.bar`: one line redrawn in place (`\r` + clear-to-end-of-line), at most every
///   `minRedrawInterval` seconds, so a fast loop does not flood the terminal.
/// - `.lines` (logs and CI): no in-epoch lines at all, so a log holds one clean line per epoch.
/// - `.quiet`: nothing but `message(_:)` calls marked important.
/// `finishEpoch` always prints a permanent line (except in quiet mode). The bar and the
/// epoch lines end with the elapsed time and an ETA, from the rate since the run started
/// (a resumed run counts from the epoch it resumed in).
/// Not thread-safe: call it from the training loop's thread.
public final class ProgressReporter {
    public enum Style: Sendable { case bar, lines, quiet }

    public let style: Style
    let write: (String) -> Void
    let clock: () -> Double
    let minRedrawInterval: Double
    let columns: Int
    var lastDraw: Double = -.infinity
    var barVisible = false
    /// When the reporter was made, and the fraction of the run done then (set on first use).
    let startTime: Double
    var startFraction: Double?

    /// - Parameters:
    ///   - clock: seconds from any fixed origin (monotonic by default); injectable for tests.
    ///   - columns: terminal width for the bar (detected from stderr by default).
    public init(style: Style, write: @escaping (String) -> Void,
                minRedrawInterval: Double = 0.1,
                clock: @escaping () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 },
                columns: Int? = nil) {
        self.style = style
        self.write = write
        self.clock = clock
        self.minRedrawInterval = minRedrawInterval
        self.columns = columns ?? terminalColumns()
        startTime = clock()
    }

    /// "elapsed 0:12  ETA 0:40" for a run `fraction` done at `now` (no ETA before any progress).
    func timing(_ progress: TrainingProgress, now: Double) -> String {
        if startFraction == nil { startFraction = Double(max(progress.epoch - 1, 0)) / Double(max(progress.totalEpochs, 1)) }
        let elapsed = now - startTime
        var text = "elapsed " + clockText(elapsed)
        let done = progress.fractionDone - (startFraction ?? 0)
        if done >= 1 - (startFraction ?? 0) - 1e-12 { return text }
        if done > 0, elapsed > 0 { text += "  ETA " + clockText(elapsed / done * (1 - progress.fractionDone)) }
        return text
    }

    /// Reports an in-epoch update; drawn only if enough time passed since the last draw.
    public func update(_ progress: TrainingProgress) {
        let now = clock()
        switch style {
        case .quiet:
            return
        case .bar:
            guard now - lastDraw >= minRedrawInterval else { return }
            lastDraw = now
            write("\r" + barLine(progress, timing: timing(progress, now: now)) + "\u{1B}[K")
            barVisible = true
        case .lines:
            _ = timing(progress, now: now)   // the run's start, for the epoch lines' ETA
        }
    }

    /// Prints the epoch's final figures as a permanent line.
    public func finishEpoch(_ progress: TrainingProgress) {
        guard style != .quiet else { return }
        clearBar()
        var done = progress
        done.step = 0
        done.totalSteps = 0
        let now = clock()
        write(done.summary + "  " + timing(done, now: now) + "\n")
        lastDraw = now
    }

    /// Prints a line of text without garbling the bar. `important` lines show even when quiet.
    public func message(_ text: String, important: Bool = false) {
        guard style != .quiet || important else { return }
        clearBar()
        write(text + "\n")
    }

    /// Removes the bar, if one is drawn.
    public func finish() { clearBar() }

    func clearBar() {
        guard barVisible else { return }
        write("\r\u{1B}[K")
        barVisible = false
        lastDraw = -.infinity
    }

    /// "epoch 3/10 [#######.......] 120/266  loss 0.4123 ...  elapsed 0:12  ETA 0:40" fitted to `columns`.
    func barLine(_ progress: TrainingProgress, timing: String = "") -> String {
        let head = "epoch \(progress.epoch)/\(progress.totalEpochs)"
        var tail = progress.summary.dropFirst(head.count).trimmingCharacters(in: .whitespaces) + (timing.isEmpty ? "" : "  " + timing)
        guard progress.totalSteps > 0 else { return String((head + "  " + tail).prefix(columns - 1)) }
        let room = columns - 1 - head.count - tail.count - 4
        let barWidth = min(30, room)
        if barWidth < 10 {
            tail = String(tail.prefix(max(0, columns - 1 - head.count - 2)))
            return head + "  " + tail
        }
        let fraction = min(1, max(0, Double(progress.step) / Double(progress.totalSteps)))
        let filled = Int((fraction * Double(barWidth)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: barWidth - filled)
        return head + " [" + bar + "] " + tail
    }
}

/// Width of the terminal on stderr, or $COLUMNS, or 80.
func terminalColumns() -> Int {
    var size = winsize()
    if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 {
        return Int(size.ws_col)
    }
    if let text = ProcessInfo.processInfo.environment["COLUMNS"], let value = Int(text), value > 20 {
        return value
    }
    return 80
}
