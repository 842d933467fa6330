// Per-thread padded image groups for the direct convolution passes: instead of one
// zero-padded copy of the whole batch (a separate threaded pass writing megabytes that the
// kernels then read back from memory), each thread pads a few of its own images at a time into
// a small buffer that stays in its L2 cache, runs the kernel on them, and reuses the buffer for
// its next images (the zero border is written once per call, only interiors are copied after).

/// Per-thread buffers of `groupImages` zero-padded images [G, H + 2·padH, W + 2·padW, C] plus
/// the backend's read slack. Threads take images in contiguous ranges (`chunkRange`), groups
/// in image order, so per-image results and per-thread accumulation orders do not depend on
/// the group size. `threads` 0: no buffers (the caller pads the whole batch instead). Caller
/// calls `deallocate()`.
struct PaddedImageGroups {
    let height: Int, width: Int, channels: Int
    let sourceHeight: Int, sourceWidth: Int
    let paddingHeight: Int, paddingWidth: Int
    /// Padded floats per image, images per group, read slack after a group.
    let imageSize: Int, groupImages: Int, slack: Int
    let threads: Int, batch: Int
    private let bufferSize: Int
    private let pointer: UnsafeMutablePointer<Float>

    /// Bytes of padded images per group: well inside a 2 MiB L2 next to the group's output.
    static let groupBytes = 192 << 10

    /// Padded batches up to this size keep one padded copy (`PaddedInput`): it stays in L2
    /// anyway, and LeNet's single-channel first layer measured 18 % slower in groups.
    static let wholeBatchBytes = 1 << 20

    /// Whether groups pay for this input: an unpadded input (read in place) or a padded batch
    /// larger than `wholeBatchBytes`.
    static func pay(batch: Int, height h: Int, width w: Int, channels c: Int, geometry g: Conv2DGeometry) -> Bool {
        (g.paddingHeight == 0 && g.paddingWidth == 0)
            || batch * (h + 2 * g.paddingHeight) * (w + 2 * g.paddingWidth) * c * 4 > wholeBatchBytes
    }

    /// Whether splitting whole images across `threads` keeps the threads' shares within one
    /// image of each other relative to their size (else split output rows, `PaddedInput`).
    static func splitsEvenly(batch: Int, threads: Int) -> Bool {
        threads == 1 || batch % threads == 0 || batch >= 8 * threads
    }

    init(_ ctx: KernelContext, batch: Int, height h: Int, width w: Int, channels c: Int, geometry g: Conv2DGeometry,
         threads: Int) {
        sourceHeight = h
        sourceWidth = w
        channels = c
        paddingHeight = g.paddingHeight
        paddingWidth = g.paddingWidth
        height = h + 2 * g.paddingHeight
        width = w + 2 * g.paddingWidth
        imageSize = height * width * c
        slack = backendConvDirectReadSlack(ctx.backend, channels: c, strideW: g.strideWidth, paddedWidth: width)
        self.threads = threads
        self.batch = batch
        let perThread = (batch + max(threads, 1) - 1) / max(threads, 1)
        groupImages = max(1, min(perThread, Self.groupBytes / max(1, imageSize * 4)))
        bufferSize = (groupImages * imageSize + slack + 15) / 16 * 16
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(1, threads * bufferSize * 4), alignment: 64)
            .bindMemory(to: Float.self, capacity: threads * bufferSize)
    }

    func deallocate() { pointer.deallocate() }

    /// Runs `body(images, start, count)` for thread `t`'s images in groups: `images` points at
    /// `count` zero-padded images starting with image `start`, followed by readable slack.
    /// Unpadded inputs are read in place (one call) where enough of the batch follows.
    @inline(__always)
    func forEachGroup(thread t: Int, input: UnsafePointer<Float>,
                      _ body: (_ images: UnsafePointer<Float>, _ start: Int, _ count: Int) -> Void) {
        let mine = chunkRange(t, parts: threads, units: batch)
        let buffer = pointer + t * bufferSize
        let padless = paddingHeight == 0 && paddingWidth == 0
        // Floats of the buffer zeroed so far: borders (and slack) stay zero for every later
        // group of this call, since only slot interiors are written.
        var zeroed = 0
        var n0 = mine.lowerBound
        if padless {
            // One call over every image whose reads (slack included) stay inside the batch: no
            // copy, and the weight is packed once (per-image calls of EfficientNet's 7×7×1152
            // pointwise layers packed a 1.5 MB weight per image); only the tail is copied.
            let inPlaceEnd = min(mine.upperBound, batch - (slack + imageSize - 1) / imageSize)
            if inPlaceEnd > n0 {
                body(input + n0 * imageSize, n0, inPlaceEnd - n0)
                n0 = inPlaceEnd
            }
        }
        while n0 < mine.upperBound {
            let count = min(groupImages, mine.upperBound - n0)
            let needed = count * imageSize + slack
            if needed > zeroed {
                (buffer + zeroed).update(repeating: 0, count: needed - zeroed)
                zeroed = needed
            }
            copyInteriors(from: input, images: n0..<(n0 + count), into: buffer)
            body(buffer, n0, count)
            n0 += count
        }
    }

    /// Copies the pixels of `images` into the interiors of consecutive padded slots of `buffer`.
    @inline(__always)
    private func copyInteriors(from input: UnsafePointer<Float>, images: Range<Int>, into buffer: UnsafeMutablePointer<Float>) {
        let rowFloats = sourceWidth * channels, sourceImage = sourceHeight * rowFloats
        for (slot, n) in images.enumerated() {
            let src = input + n * sourceImage
            let dst = buffer + slot * imageSize + (paddingHeight * width + paddingWidth) * channels
            for y in 0..<sourceHeight {
                (dst + y * width * channels).update(from: src + y * rowFloats, count: rowFloats)
            }
        }
    }
}
