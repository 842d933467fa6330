import Foundation
import TLTensor

/// Seeded data augmentation applied to one mini-batch of channels-last images, following an
/// `AugmentationPlan`.
///
/// Per image, in order: a random resized crop (`crop`), a random shift of up to `shift` pixels
/// with zero fill and a horizontal flip (`flip`), a rotation (`rotate`), colour jitter
/// (`color`: brightness, contrast, saturation) and additive Gaussian noise (`noise`). Then per
/// batch, mixup or cutmix pairs every sample with another one of the batch (`mixBatch`).
/// Every random draw comes from the caller's generator, so an epoch replays from its seed.
public struct Augmentation: Sendable, Equatable {
    public var plan: AugmentationPlan

    public init(plan: AugmentationPlan) { self.plan = plan }

    /// The shift/flip/noise augmentation of before plans existed.
    public init(maxShift: Int = 0, flipProbability: Float = 0, noiseStd: Float = 0) {
        var p = AugmentationPlan()
        p.shift = maxShift; p.flip = Double(flipProbability); p.noise = Double(noiseStd)
        plan = p
    }

    public var maxShift: Int { plan.shift }
    public var flipProbability: Float { Float(plan.flip) }
    public var noiseStd: Float { Float(plan.noise) }

    /// True when the augmentation changes nothing.
    public var isIdentity: Bool { plan.isIdentity }

    /// Augments `batch` in place (per-sample steps only; see `mixBatch`). // batch: [count, H, W, C]
    public func apply(to batch: inout [Float], sampleShape: [Int], using rng: inout SeededGenerator) {
        guard !isIdentity, sampleShape.count == 3 else {
            if noiseStd > 0 { for i in batch.indices { batch[i] += noiseStd * rng.nextNormal() } }
            return
        }
        let (h, w, c) = (sampleShape[0], sampleShape[1], sampleShape[2])
        let size = h * w * c
        guard size > 0 else { return }
        var tmp = [Float](repeating: 0, count: size)
        for n in 0..<(batch.count / size) {
            let base = n * size
            if let crop = plan.crop { randomResizedCrop(&batch, base, h, w, c, minArea: crop, &rng) }
            let dy = maxShift > 0 ? rng.nextInt(below: 2 * maxShift + 1) - maxShift : 0
            let dx = maxShift > 0 ? rng.nextInt(below: 2 * maxShift + 1) - maxShift : 0
            let flip = flipProbability > 0 && rng.nextUniform() < flipProbability
            if dy != 0 || dx != 0 || flip {
                for y in 0..<h {
                    let sy = y - dy
                    for x in 0..<w {
                        var sx = x - dx
                        if flip { sx = w - 1 - sx }
                        let o = (y * w + x) * c
                        if sy >= 0 && sy < h && sx >= 0 && sx < w {
                            for k in 0..<c { tmp[o + k] = batch[base + (sy * w + sx) * c + k] }
                        } else {
                            for k in 0..<c { tmp[o + k] = 0 }
                        }
                    }
                }
                for i in 0..<size { batch[base + i] = tmp[i] }
            }
            if plan.rotate > 0 { rotate(&batch, base, h, w, c, maxDegrees: plan.rotate, &rng, &tmp) }
            if plan.color > 0 { jitterColour(&batch, base, h * w, c, strength: Float(plan.color), &rng) }
            if noiseStd > 0 {
                for i in 0..<size { batch[base + i] += noiseStd * rng.nextNormal() }
            }
        }
    }

    /// Random resized crop: a box of `minArea…1` of the area and aspect 3/4…4/3, resized back.
    func randomResizedCrop(_ b: inout [Float], _ base: Int, _ h: Int, _ w: Int, _ c: Int, minArea: Double, _ rng: inout SeededGenerator) {
        let area = Double(rng.nextUniform(in: Float(minArea), 1)) * Double(h * w)
        let logRatio = Double(rng.nextUniform(in: Float(log(3.0 / 4)), Float(log(4.0 / 3))))
        let ratio = exp(logRatio)
        let cw = max(1, min(w, Int((area * ratio).squareRoot().rounded())))
        let ch = max(1, min(h, Int((area / ratio).squareRoot().rounded())))
        let y0 = rng.nextInt(below: h - ch + 1), x0 = rng.nextInt(below: w - cw + 1)
        if ch == h && cw == w { return }
        var crop = [Float](repeating: 0, count: ch * cw * c)
        for y in 0..<ch { for x in 0..<cw { for k in 0..<c { crop[(y * cw + x) * c + k] = b[base + ((y0 + y) * w + x0 + x) * c + k] } } }
        let out = resizeImage(crop, height: ch, width: cw, channels: c, toHeight: h, toWidth: w, method: .bilinear)
        for i in 0..<out.count { b[base + i] = out[i] }
    }

    /// Rotation by a uniform angle in ±`maxDegrees` about the centre (bilinear, zero fill).
    func rotate(_ b: inout [Float], _ base: Int, _ h: Int, _ w: Int, _ c: Int, maxDegrees: Double, _ rng: inout SeededGenerator, _ tmp: inout [Float]) {
        let angle = Double(rng.nextUniform(in: Float(-maxDegrees), Float(maxDegrees))) * Double.pi / 180
        let (cs, sn) = (Float(cos(angle)), Float(sin(angle)))
        let cy = Float(h - 1) / 2, cx = Float(w - 1) / 2
        for y in 0..<h {
            for x in 0..<w {
                let fx = cs * (Float(x) - cx) + sn * (Float(y) - cy) + cx
                let fy = -sn * (Float(x) - cx) + cs * (Float(y) - cy) + cy
                let o = (y * w + x) * c
                let x0 = Int(fx.rounded(.down)), y0 = Int(fy.rounded(.down))
                let ax = fx - Float(x0), ay = fy - Float(y0)
                for k in 0..<c {
                    func at(_ yy: Int, _ xx: Int) -> Float { yy >= 0 && yy < h && xx >= 0 && xx < w ? b[base + (yy * w + xx) * c + k] : 0 }
                    tmp[o + k] = (at(y0, x0) * (1 - ax) + at(y0, x0 + 1) * ax) * (1 - ay) + (at(y0 + 1, x0) * (1 - ax) + at(y0 + 1, x0 + 1) * ax) * ay
                }
            }
        }
        for i in 0..<(h * w * c) { b[base + i] = tmp[i] }
    }

    /// Brightness (offset), contrast (scale about the image mean) and saturation (blend with
    /// the pixel's grey value), each drawn uniformly within ± `strength`.
    func jitterColour(_ b: inout [Float], _ base: Int, _ pixels: Int, _ c: Int, strength s: Float, _ rng: inout SeededGenerator) {
        let brightness = rng.nextUniform(in: -s, s)
        let contrast = 1 + rng.nextUniform(in: -s, s)
        let saturation = 1 + rng.nextUniform(in: -s, s)
        var mean: Float = 0
        for i in 0..<(pixels * c) { mean += b[base + i] }
        mean /= Float(pixels * c)
        for p in 0..<pixels {
            let o = base + p * c
            var grey: Float = 0
            for k in 0..<c { grey += b[o + k] }
            grey /= Float(c)
            for k in 0..<c {
                var v = c == 3 ? grey + (b[o + k] - grey) * saturation : b[o + k]
                v = (v - mean) * contrast + mean + brightness
                b[o + k] = v
            }
        }
    }
}
