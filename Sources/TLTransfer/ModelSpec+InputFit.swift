import TLNN
import Foundation
import TLData

/// Numeric samples adapted to a model's input, and the one line saying which rule did it.
public struct FittedInput {
    public var data: Dataset
    /// "samples [1, 28, 28] read as channels-first (NCHW) and transposed to [28, 28, 1]"; nil when unchanged.
    public var note: String?
}

extension ModelSpec {
    /// Adapts numeric samples to this model's input (see `fittingInput`).
    public func fitInput(_ data: Dataset) throws -> Dataset { try fittingInput(data).data }

    /// Adapts numeric samples to this model's dense input by one stated rule. Token models take
    /// token ids and need `TextEncoding.encode` first.
    ///
    /// For an image input `[H, W, C]`, samples of shape `s` with `n` values are read as:
    /// - `[H, W, C]` exactly: unchanged;
    /// - channels-first `[C', H', W']` with C' in {1, 3} and a last dimension that is not a
    ///   channel count (PyTorch `[N, 1, 28, 28]`): transposed to `[H', W', C']`;
    /// - channels-last `[H', W', C']` with C' in {1, 3}: kept;
    /// - `[H', W']` (both above 1) for a one-channel input: one channel;
    /// - any other rank-1, rank-2 or rank-4+ shape with `n == H·W·C` values: flat, row-major
    ///   `H·W·C`, reshaped;
    /// then channels are converted and the image resized (bilinear) to `[H, W, C]`. When a
    /// rank-3 shape reads both ways (e.g. `[3, 28, 3]`, or `[3, 3, 3]` for a `[3, 3, 3]` input)
    /// the data must say `layout=nhwc|nchw|flat`; a declared layout always wins. A flat input
    /// takes any samples of the same element count, reshaped.
    public func fittingInput(_ data: Dataset) throws -> FittedInput {
        guard case .dense(let shape) = input else { return FittedInput(data: data, note: nil) }
        if data.texts != nil && data.sampleSize == 0 {
            throw DataError(file: data.source, reason: "model '\(name)' takes \(shape) inputs, not text")
        }
        let s = data.sampleShape, n = data.sampleSize, needed = shape.reduce(1, *)
        let layout = data.reading.layout
        func reshaped(_ how: String) -> FittedInput {
            var d = data
            d.sampleShape = shape
            return FittedInput(data: d, note: s == shape ? nil : "samples \(s) \(how) to \(shape)")
        }
        guard shape.count == 3 else {
            if s == shape { return FittedInput(data: data, note: nil) }
            guard n == needed else {
                throw DataError(file: data.source, reason: "model '\(name)' takes \(shape) inputs (\(needed) values), data samples are \(s) (\(n) values)")
            }
            return reshaped("flattened and reshaped")
        }
        let (h, w, c) = (shape[0], shape[1], shape[2])
        let channelCounts = [1, 3]
        var chosen = layout
        if chosen == nil {
            let ambiguous = "read both as [H, W, C] and as channels-first [C, H, W]; add layout=nhwc or layout=nchw to the data argument"
            if s == shape {
                // Both readings fit exactly only when H = W = C (e.g. [3, 3, 3]).
                guard !(h == w && w == c && c == 3) else { throw DataError(file: data.source, reason: "samples \(s) \(ambiguous)") }
                return FittedInput(data: data, note: nil)
            }
            switch s.count {
            case 3:
                let first = channelCounts.contains(s[0]), last = channelCounts.contains(s[2])
                if first && last { throw DataError(file: data.source, reason: "samples \(s) \(ambiguous)") }
                chosen = last ? .nhwc : first ? .nchw : nil
            case 2 where c == 1 && s[0] > 1 && s[1] > 1: chosen = .nhwc
            default: chosen = n == needed ? .flat : nil
            }
        }
        var d = data, how: String
        switch chosen {
        case .flat?:
            guard n == needed else {
                throw DataError(file: data.source, reason: "model '\(name)' takes [H, W, C] = \(shape) images (\(needed) values), data samples are \(s) (\(n) values), so they cannot be read as flat")
            }
            return reshaped("read as flat row-major H·W·C and reshaped")
        case .nchw?:
            if s.count == 1 && n == needed { d.sampleShape = [c, h, w] }
            guard d.sampleShape.count == 3 else {
                throw DataError(file: data.source, reason: "layout=nchw needs samples [C, H, W] (or C·H·W flat values), data samples are \(s)")
            }
            d = try d.channelsFirstToLast()
            how = "read as channels-first (NCHW) and transposed"
        case .nhwc?:
            if s.count == 2 { d.sampleShape = s + [1]; how = "read as one-channel [H, W] and reshaped" }
            else if s.count == 3 { how = "read as channels-last [H, W, C]" }
            else { throw DataError(file: data.source, reason: "layout=nhwc needs samples [H, W, C], data samples are \(s)") }
        case nil:
            throw DataError(file: data.source, reason: "model '\(name)' takes [H, W, C] = \(shape) images (\(needed) values); data samples are \(s) (\(n) values), which are neither [H, W, C] nor channels-first [C, H, W] with 1 or 3 channels nor \(needed) flat values (declare one with layout=nhwc|nchw|flat)")
        }
        guard channelCounts.contains(d.sampleShape[2]) || d.sampleShape[2] == c else {
            throw DataError(file: data.source, reason: "samples \(s) \(how) have \(d.sampleShape[2]) channels; model '\(name)' takes \(c) (1 or 3 channels convert)")
        }
        if d.sampleShape[2] != c { d = try d.withChannels(c); how += ", channels converted" }
        if d.sampleShape[0] != h || d.sampleShape[1] != w { d = try d.resized(height: h, width: w); how += ", resized" }
        let note = d.sampleShape == s ? nil : "samples \(s) \(how) to \(d.sampleShape)"
        return FittedInput(data: d, note: note)
    }
}
