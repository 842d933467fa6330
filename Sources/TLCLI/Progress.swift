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

    public init(epoch: Int, totalEpochs: Int, step: Int = 0, totalSteps: Int = 0,
                loss: Double? = nil, accuracy: Double? = nil, samplesPerSecond: Double? = nil) {
        self.epoch = epoch
        self.totalEpochs = totalEpochs
        self.step = step
        self.totalSteps = totalSteps
        self.loss = loss
        self.accuracy = accuracy
        self.samplesPerSecond = samplesPerSecond
    }

    /// "epoch 3/10 120/266 loss 0.4123 acc 87.31% 1234 samples/s"
    var summary: String {
        var parts = ["epoch \(epoch)/\(totalEpochs)"]
        if totalSteps > 0 { parts.append("\(step)/\(totalSteps)") }
        if let loss { parts.append("loss " + fixed(loss, 4)) }
        if let accuracy { parts.append("acc " + fixed(accuracy * 100, 2) + "%") }
        if let samplesPerSecond { parts.append(fixed(samplesPerSecond, 0) + " samples/s") }
        return parts.joined(separator: "  ")
    }
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
/// - `.lines`: a plain line at most every `lineInterval` seconds (for logs and CI).
/// - `.quiet`: nothing but `message(_:)` calls marked important.
/// `finishEpoch` always prints a permanent line (except in quiet mode).
/// Not thread-safe: call it from the training loop's thread.
public final class ProgressReporter {
    public enum Style: Sendable { case bar, lines, quiet }

    public let style: Style
    let write: (String) -> Void
    let clock: () -> Double
    let minRedrawInterval: Double
    let lineInterval: Double
    let columns: Int
    var lastDraw: Double = -.infinity
    var barVisible = false

    /// - Parameters:
    ///   - clock: seconds from any fixed origin (monotonic by default); injectable for tests.
    ///   - columns: terminal width for the bar (detected from stderr by default).
    public init(style: Style, write: @escaping (String) -> Void,
                minRedrawInterval: Double = 0.1, lineInterval: Double = 10,
                clock: @escaping () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 },
                columns: Int? = nil) {
        self.style = style
        self.write = write
        self.clock = clock
        self.minRedrawInterval = minRedrawInterval
        self.lineInterval = lineInterval
        self.columns = columns ?? terminalColumns()
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
            write("\r" + barLine(progress) + "\u{1B}[K")
            barVisible = true
        case .lines:
            guard now - lastDraw >= lineInterval else { return }
            lastDraw = now
            write(progress.summary + "\n")
        }
    }

    /// Prints the epoch's final figures as a permanent line.
    public func finishEpoch(_ progress: TrainingProgress) {
        guard style != .quiet else { return }
        clearBar()
        write(progress.summary + "\n")
        lastDraw = clock()
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

    /// "epoch 3/10 [#######.......] 120/266  loss 0.4123 ..." fitted to `columns`.
    func barLine(_ progress: TrainingProgress) -> String {
        let head = "epoch \(progress.epoch)/\(progress.totalEpochs)"
        var tail = progress.summary.dropFirst(head.count).trimmingCharacters(in: .whitespaces)
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
