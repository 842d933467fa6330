/// Interpolation used when resizing images.
public enum ResizeMethod: Sendable {
    case nearest
    /// Half-pixel-centre bilinear (as PyTorch `align_corners=False`), edges clamped.
    case bilinear
}

/// Resizes one channels-last image. // src: [H, W, C] → [toHeight, toWidth, C]
func resizeImage(_ src: ArraySlice<Float>, height: Int, width: Int, channels c: Int,
                 toHeight oh: Int, toWidth ow: Int, method: ResizeMethod) -> [Float] {
    var out = [Float](repeating: 0, count: oh * ow * c)
    let base = src.startIndex
    let sy = Float(height) / Float(oh), sx = Float(width) / Float(ow)
    for y in 0..<oh {
        for x in 0..<ow {
            let o = (y * ow + x) * c
            switch method {
            case .nearest:
                let iy = min(height - 1, Int((Float(y) + 0.5) * sy))
                let ix = min(width - 1, Int((Float(x) + 0.5) * sx))
                for k in 0..<c { out[o + k] = src[base + (iy * width + ix) * c + k] }
            case .bilinear:
                let fy = max(0, min(Float(height - 1), (Float(y) + 0.5) * sy - 0.5))
                let fx = max(0, min(Float(width - 1), (Float(x) + 0.5) * sx - 0.5))
                let y0 = Int(fy), x0 = Int(fx)
                let y1 = min(y0 + 1, height - 1), x1 = min(x0 + 1, width - 1)
                let wy = fy - Float(y0), wx = fx - Float(x0)
                for k in 0..<c {
                    let a = src[base + (y0 * width + x0) * c + k], b = src[base + (y0 * width + x1) * c + k]
                    let d = src[base + (y1 * width + x0) * c + k], e = src[base + (y1 * width + x1) * c + k]
                    out[o + k] = (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy
                }
            }
        }
    }
    return out
}

func resizeImage(_ src: [Float], height: Int, width: Int, channels: Int, toHeight: Int, toWidth: Int, method: ResizeMethod) -> [Float] {
    resizeImage(src[...], height: height, width: width, channels: channels, toHeight: toHeight, toWidth: toWidth, method: method)
}

extension Dataset {
    /// Checks that this is an image data set `[H, W, C]`.
    func imageShape(_ op: String) throws -> (h: Int, w: Int, c: Int) {
        guard sampleShape.count == 3, sampleShape.allSatisfy({ $0 > 0 }) else {
            throw DataError(file: source, reason: "\(op) needs images of shape [H, W, C], have \(sampleShape)")
        }
        return (sampleShape[0], sampleShape[1], sampleShape[2])
    }

    /// Every image resized to `height × width`.
    public func resized(height: Int, width: Int, method: ResizeMethod = .bilinear) throws -> Dataset {
        let (h, w, c) = try imageShape("resize")
        guard height > 0, width > 0 else { throw DataError(reason: "resize target \(height)x\(width) must be positive") }
        if h == height && w == width { return self }
        var f = [Float]()
        f.reserveCapacity(count * height * width * c)
        for i in 0..<count {
            f.append(contentsOf: resizeImage(sampleSlice(i), height: h, width: w, channels: c, toHeight: height, toWidth: width, method: method))
        }
        var d = self
        d.features = f
        d.sampleShape = [height, width, c]
        return d
    }

    /// Every image centred in a `height × width` canvas: zero padding where the image is smaller,
    /// centre cropping where it is larger (each axis independently).
    public func centerCroppedOrPadded(height: Int, width: Int) throws -> Dataset {
        let (h, w, c) = try imageShape("pad/crop")
        guard height > 0, width > 0 else { throw DataError(reason: "pad/crop target \(height)x\(width) must be positive") }
        if h == height && w == width { return self }
        var f = [Float](repeating: 0, count: count * height * width * c)
        // Offset of the source in the target (negative: crop).
        let oy = (height - h) / 2, ox = (width - w) / 2
        let size = sampleSize, outSize = height * width * c
        for i in 0..<count {
            for y in 0..<height {
                let sy = y - oy
                guard sy >= 0 && sy < h else { continue }
                for x in 0..<width {
                    let sx = x - ox
                    guard sx >= 0 && sx < w else { continue }
                    for k in 0..<c { f[i * outSize + (y * width + x) * c + k] = features[i * size + (sy * w + sx) * c + k] }
                }
            }
        }
        var d = self
        d.features = f
        d.sampleShape = [height, width, c]
        return d
    }

    /// Images converted to `channels` channels (gray replicated to RGB, RGB to BT.601 luma).
    public func withChannels(_ channels: Int) throws -> Dataset {
        let (h, w, c) = try imageShape("channel conversion")
        guard channels == 1 || channels == 3 else { throw DataError(reason: "channels must be 1 or 3, got \(channels)") }
        if c == channels { return self }
        guard c == 1 || c == 3 else { throw DataError(file: source, reason: "cannot convert \(c) channels to \(channels)") }
        var f = [Float]()
        f.reserveCapacity(count * h * w * channels)
        for i in 0..<count {
            let img = Image(width: w, height: h, channels: c, pixels: sample(i))
            f.append(contentsOf: img.converted(toChannels: channels).pixels)
        }
        var d = self
        d.features = f
        d.sampleShape = [h, w, channels]
        return d
    }
}
