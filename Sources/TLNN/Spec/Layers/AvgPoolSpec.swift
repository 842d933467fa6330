import TLTensor

/// `{"type": "avgpool", "size": 2, "stride": 2}`: the mean over each window (stride defaults to size).
///
///     [H, W, C] → [(H − size)/stride + 1, (W − size)/stride + 1, C]
public struct AvgPoolSpec: PoolWindowSpec {
    public static let typeName = "avgpool"
    public let window: PoolWindow
    public init(window: PoolWindow) { self.window = window }

    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) -> Layer {
        AvgPool2D(kernelSize: (window.size, window.size), stride: (window.stride, window.stride))
    }
}
