/// The geometry of a 2-D convolution or pooling window over channels-last images.
///
///     input:  [N, H, W, C]
///     output: [N, OH, OW, C′]   OH = (H + padTop + padBottom − KH) / strideH + 1 (floor)
///
/// Shared by convolution (`Tensor.conv2d`) and pooling (`Tensor.maxPool2d`, `avgPool2d`), and
/// recorded in their autodiff primitives so the backward rules see the exact forward geometry.
public struct Window2D: Hashable, Sendable, CustomStringConvertible {
    public var kernelHeight: Int, kernelWidth: Int
    public var strideHeight: Int, strideWidth: Int
    public var padTop: Int, padBottom: Int, padLeft: Int, padRight: Int

    /// A window with symmetric padding (`padding.height` rows above and below, etc.).
    public init(kernel: (height: Int, width: Int), stride: (height: Int, width: Int) = (1, 1),
                padding: (height: Int, width: Int) = (0, 0)) {
        self.init(kernel: kernel, stride: stride,
                  padding: (top: padding.height, bottom: padding.height, left: padding.width, right: padding.width))
    }

    /// A window with explicit per-side padding (for "same" padding with even kernels).
    public init(kernel: (height: Int, width: Int), stride: (height: Int, width: Int),
                padding: (top: Int, bottom: Int, left: Int, right: Int)) {
        kernelHeight = kernel.height; kernelWidth = kernel.width
        strideHeight = stride.height; strideWidth = stride.width
        padTop = padding.top; padBottom = padding.bottom; padLeft = padding.left; padRight = padding.right
    }

    public var description: String {
        "kernel \(kernelHeight)×\(kernelWidth), stride \(strideHeight)×\(strideWidth), padding (t\(padTop) b\(padBottom) l\(padLeft) r\(padRight))"
    }

    /// Output spatial size for an input of `height × width`, or a thrown error naming the problem.
    public func outputSize(height: Int, width: Int, operation: String) throws -> (height: Int, width: Int) {
        guard kernelHeight > 0, kernelWidth > 0, strideHeight > 0, strideWidth > 0,
              padTop >= 0, padBottom >= 0, padLeft >= 0, padRight >= 0 else {
            throw TensorError.invalidArgument(operation: operation, message: "invalid window: \(self)")
        }
        let ph = height + padTop + padBottom, pw = width + padLeft + padRight
        guard ph >= kernelHeight, pw >= kernelWidth else {
            throw TensorError.invalidArgument(operation: operation,
                message: "input \(height)×\(width) (padded \(ph)×\(pw)) is smaller than the \(kernelHeight)×\(kernelWidth) kernel")
        }
        return ((ph - kernelHeight) / strideHeight + 1, (pw - kernelWidth) / strideWidth + 1)
    }
}

/// Full geometry of one convolution call: the window plus the tensor extents.
public struct Conv2DGeometry: Hashable, Sendable {
    public var batch: Int, height: Int, width: Int, inChannels: Int, outChannels: Int
    public var window: Window2D
    public var outHeight: Int, outWidth: Int

    /// Rows of the im2col matrix: one per output pixel.
    public var rows: Int { batch * outHeight * outWidth }
    /// Columns of the im2col matrix: one per (kh, kw, cin), matching the weight layout.
    public var patch: Int { window.kernelHeight * window.kernelWidth * inChannels }
    /// A 1×1 stride-1 unpadded convolution is a plain GEMM on the input (no im2col).
    public var isPointwise: Bool {
        window.kernelHeight == 1 && window.kernelWidth == 1 && window.strideHeight == 1 && window.strideWidth == 1
            && window.padTop == 0 && window.padBottom == 0 && window.padLeft == 0 && window.padRight == 0
    }
}
