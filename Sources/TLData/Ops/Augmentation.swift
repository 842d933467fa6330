import TLTensor

/// Seeded data augmentation applied to one mini-batch of channels-last images.
///
/// Per image, in order: a random shift of up to `maxShift` pixels in each direction with zero
/// fill (equivalent to zero-padding by `maxShift` and taking a random crop of the original
/// size), a horizontal flip with probability `flipProbability`, and additive Gaussian noise of
/// standard deviation `noiseStd`.
public struct Augmentation: Sendable, Equatable {
    public var maxShift: Int
    public var flipProbability: Float
    public var noiseStd: Float

    public init(maxShift: Int = 0, flipProbability: Float = 0, noiseStd: Float = 0) {
        self.maxShift = maxShift
        self.flipProbability = flipProbability
        self.noiseStd = noiseStd
    }

    /// True when the augmentation changes nothing.
    public var isIdentity: Bool { maxShift == 0 && flipProbability == 0 && noiseStd == 0 }

    /// Augments `batch` in place. // batch: [count, H, W, C]
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
            if noiseStd > 0 {
                for i in 0..<size { batch[base + i] += noiseStd * rng.nextNormal() }
            }
        }
    }
}
