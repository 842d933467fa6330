/// A backend's training-mode BatchNorm passes over rows `rows` of channels-last x [rows, cols]
/// (shapes and contracts: `Sources/KernelsShared/BatchNormKernels.swift`; TLKernels splits
/// rows across threads and combines the per-thread Double sums in thread order).
public struct BatchNormKernels: Sendable {
    /// `batchNormStatisticsSums(x:cols:rowStart:rowEnd:sums:)`: adds Σ (x − x₀) and Σ (x − x₀)²
    /// per channel into sums [2 · cols].
    public let statisticsSums: @Sendable (_ x: UnsafePointer<Float>, _ cols: Int, _ rows: Range<Int>,
                                          _ sums: UnsafeMutablePointer<Double>) -> Void
    /// `batchNormBackwardSums(x:dy:scale:shift:mean:rstd:lower:upper:cols:rowStart:rowEnd:sums:)`:
    /// adds Σ dz and Σ dz · x̂ per channel into sums [2 · cols].
    public let backwardSums: @Sendable (_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ scale: UnsafePointer<Float>,
                                        _ shift: UnsafePointer<Float>, _ mean: UnsafePointer<Float>, _ rstd: UnsafePointer<Float>,
                                        _ lower: Float, _ upper: Float, _ cols: Int, _ rows: Range<Int>,
                                        _ sums: UnsafeMutablePointer<Double>) -> Void
    /// `batchNormBackwardRows(x:dy:scale:shift:mean:rstd:a:b:lower:upper:cols:rowStart:rowEnd:dx:)`.
    public let backwardRows: @Sendable (_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ scale: UnsafePointer<Float>,
                                        _ shift: UnsafePointer<Float>, _ mean: UnsafePointer<Float>, _ rstd: UnsafePointer<Float>,
                                        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ lower: Float, _ upper: Float,
                                        _ cols: Int, _ rows: Range<Int>, _ dx: UnsafeMutablePointer<Float>) -> Void

    public init(statisticsSums: @escaping @Sendable (UnsafePointer<Float>, Int, Range<Int>, UnsafeMutablePointer<Double>) -> Void,
                backwardSums: @escaping @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                                   UnsafePointer<Float>, UnsafePointer<Float>, Float, Float, Int, Range<Int>,
                                                   UnsafeMutablePointer<Double>) -> Void,
                backwardRows: @escaping @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                                   UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                                   Float, Float, Int, Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        self.statisticsSums = statisticsSums
        self.backwardSums = backwardSums
        self.backwardRows = backwardRows
    }
}
