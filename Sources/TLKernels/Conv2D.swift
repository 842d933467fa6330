import TLKernelTable

/// Shape of a 2-D convolution or pooling window: kernel size, stride and zero padding,
/// each for height and width. Output size = (input + 2·padding − kernel) / stride + 1.
public struct Conv2DGeometry: Sendable, Hashable {
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var strideHeight: Int
    public var strideWidth: Int
    public var paddingHeight: Int
    public var paddingWidth: Int

    public init(kernelHeight: Int, kernelWidth: Int, strideHeight: Int = 1, strideWidth: Int = 1,
                paddingHeight: Int = 0, paddingWidth: Int = 0) {
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.paddingHeight = paddingHeight
        self.paddingWidth = paddingWidth
    }

    /// Square kernel with equal stride and padding in both directions.
    public init(kernel: Int, stride: Int = 1, padding: Int = 0) {
        self.init(kernelHeight: kernel, kernelWidth: kernel, strideHeight: stride, strideWidth: stride,
                  paddingHeight: padding, paddingWidth: padding)
    }

    public func outputHeight(inputHeight: Int) -> Int { (inputHeight + 2 * paddingHeight - kernelHeight) / strideHeight + 1 }
    public func outputWidth(inputWidth: Int) -> Int { (inputWidth + 2 * paddingWidth - kernelWidth) / strideWidth + 1 }

    /// Throws unless kernel and stride are ≥ 1, padding ≥ 0 and smaller than the kernel, and
    /// the window fits the (padded) input at least once.
    public func validate(inputHeight: Int, inputWidth: Int) throws {
        guard kernelHeight >= 1, kernelWidth >= 1, strideHeight >= 1, strideWidth >= 1,
              paddingHeight >= 0, paddingWidth >= 0, paddingHeight < kernelHeight, paddingWidth < kernelWidth,
              inputHeight >= 1, inputWidth >= 1,
              inputHeight + 2 * paddingHeight >= kernelHeight, inputWidth + 2 * paddingWidth >= kernelWidth
        else {
            throw Conv2DGeometryError(description:
                "convolution geometry: kernel \(kernelHeight)x\(kernelWidth), stride \(strideHeight)x\(strideWidth), "
                + "padding \(paddingHeight)x\(paddingWidth) does not fit input \(inputHeight)x\(inputWidth)")
        }
    }

    func check(height: Int, width: Int) {
        precondition((try? validate(inputHeight: height, inputWidth: width)) != nil,
                     "Conv2DGeometry \(self) invalid for \(height)x\(width) input")
    }
}

/// A convolution or pooling geometry that does not fit its input.
public struct Conv2DGeometryError: Error, CustomStringConvertible {
    public let description: String
}

// MARK: Backend dispatch (through the backend's kernel table)

@inline(__always)
func backendConvForwardDirectRows(_ backend: KernelBackend, xp: UnsafePointer<Float>, paddedHeight: Int, paddedWidth: Int,
                                  channels: Int, g: Conv2DGeometry, outH: Int, outW: Int, weight: UnsafePointer<Float>,
                                  bias: UnsafePointer<Float>?, outChannels: Int, rowStart: Int, rowEnd: Int,
                                  out: UnsafeMutablePointer<Float>) {
    backend.kernels.convForwardDirectRows(xp, paddedHeight, paddedWidth, channels, g.kernelHeight, g.kernelWidth, g.strideHeight,
                                          g.strideWidth, outH, outW, weight, bias, outChannels, rowStart, rowEnd, out)
}

func backendConvDirectReadSlack(_ backend: KernelBackend, channels: Int, strideW: Int, paddedWidth: Int) -> Int {
    backend.kernels.convDirectReadSlack(channels, strideW, paddedWidth)
}

func backendConvDirectChannelMultiple(_ backend: KernelBackend) -> Int { backend.kernels.convDirectChannelMultiple }

func backendConvDirectNarrowChannels(_ backend: KernelBackend) -> Int { backend.kernels.convDirectNarrowChannels }

@inline(__always)
func backendConvWeightGradientDirect(_ backend: KernelBackend, xp: UnsafePointer<Float>, paddedHeight: Int, paddedWidth: Int,
                                     channels: Int, g: Conv2DGeometry, outH: Int, outW: Int, dy: UnsafePointer<Float>,
                                     outChannels: Int, imageStart: Int, imageEnd: Int, dwT: UnsafeMutablePointer<Float>) {
    backend.kernels.convWeightGradientDirect(xp, paddedHeight, paddedWidth, channels, g.kernelHeight, g.kernelWidth, g.strideHeight,
                                             g.strideWidth, outH, outW, dy, outChannels, imageStart, imageEnd, dwT)
}

/// Zero-padded copy [batch, H + 2·padH, W + 2·padW, C] of a channels-last input, followed by
/// the read slack the direct kernels need. Caller deallocates `pointer`.
struct PaddedInput {
    let pointer: UnsafeMutablePointer<Float>
    let height: Int
    let width: Int

    init(_ ctx: KernelContext, input: UnsafePointer<Float>, batch: Int, height h: Int, width w: Int, channels c: Int,
         geometry g: Conv2DGeometry) {
        height = h + 2 * g.paddingHeight
        width = w + 2 * g.paddingWidth
        let imageSize = height * width * c
        let slack = backendConvDirectReadSlack(ctx.backend, channels: c, strideW: g.strideWidth, paddedWidth: width)
        let p = UnsafeMutableRawPointer.allocate(byteCount: (batch * imageSize + slack) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: batch * imageSize + slack)
        pointer = p
        (p + batch * imageSize).update(repeating: 0, count: slack)
        let wp = width
        let threads = ctx.threadsFor(work: batch * imageSize * 4, maxChunks: batch)
        parallelFor(threads) { t in
            for n in chunkRange(t, parts: threads, units: batch) {
                let dst = p + n * imageSize
                if g.paddingHeight == 0 && g.paddingWidth == 0 {
                    dst.update(from: input + n * imageSize, count: imageSize)
                    continue
                }
                // Zero only the border: top rows, left/right margins, bottom rows.
                let top = g.paddingHeight * wp * c, side = g.paddingWidth * c
                dst.update(repeating: 0, count: top + side)
                for y in 0..<h {
                    let rowStart = dst + ((y + g.paddingHeight) * wp + g.paddingWidth) * c
                    rowStart.update(from: input + (n * h + y) * w * c, count: w * c)
                    // Right margin of this row and left margin of the next data row.
                    (rowStart + w * c).update(repeating: 0, count: y + 1 < h ? 2 * side : side)
                }
                let written = top + h * wp * c
                (dst + written).update(repeating: 0, count: imageSize - written)
            }
        }
    }
}
