import TLTensor

/// `{"type": "maxpool", "size": 2, "stride": 2}`: the maximum over each window (stride defaults to size).
///
///     [H, W, C] → [(H − size)/stride + 1, (W − size)/stride + 1, C]
public struct MaxPoolSpec: PoolWindowSpec {
    public static let typeName = "maxpool"
    public var size: Int
    public var stride: Int

    public init(size: Int, stride: Int) {
        self.size = size
        self.stride = stride
    }

    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) -> Layer {
        MaxPool2D(kernelSize: (size, size), stride: (stride, stride))
    }
}
