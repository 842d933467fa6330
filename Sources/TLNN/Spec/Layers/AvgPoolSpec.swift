import TLTensor

/// `{"type": "avgpool", "size": 2, "stride": 2}`: the mean over each window (stride defaults to size).
///
///     [H, W, C] → [(H − size)/stride + 1, (W − size)/stride + 1, C]
public struct AvgPoolSpec: PoolWindowSpec {
    public static let typeName = "avgpool"
    public var size: Int
    public var stride: Int

    public init(size: Int, stride: Int) {
        self.size = size
        self.stride = stride
    }

    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) -> Layer {
        AvgPool2D(kernelSize: (size, size), stride: (stride, stride))
    }
}
