/// Static shape inference over a spec: per-layer output shapes (batch axis excluded), and
/// validation that reports impossible shapes with the JSON path of the offending layer.
extension ModelSpec {
    /// Output sample shape of each top-level block.
    public func blockOutputShapes(classes: Int, vocab: Int, file: String = "spec") throws -> [[Int]] {
        var shape: [Int]
        var isTokenIds = false
        switch input {
        case .dense(let s): shape = s
        case .tokens(let t): shape = [t]; isTokenIds = true
        }
        var outputs: [[Int]] = []
        for (b, block) in blocks.enumerated() {
            for (l, layer) in block.layers.enumerated() {
                let path = "blocks[\(b)].layers[\(l)]"
                func fail(_ message: String) -> SpecError { SpecError(file: file, path: path, message: message) }
                if isTokenIds, case .embedding = layer {} else if isTokenIds {
                    throw fail("a token input must go through an \"embedding\" layer first")
                }
                switch layer {
                case .flatten:
                    shape = [shape.reduce(1, *)]
                case let .linear(out, _):
                    shape[shape.count - 1] = out.resolve(classes: classes, vocab: vocab)
                case let .conv2d(out, kernel, stride, padding, _):
                    guard shape.count == 3 else { throw fail("conv2d expects an [H, W, C] input, got \(shape)") }
                    let h = (shape[0] + 2 * padding - kernel) / stride + 1, w = (shape[1] + 2 * padding - kernel) / stride + 1
                    guard shape[0] + 2 * padding >= kernel, shape[1] + 2 * padding >= kernel, h > 0, w > 0 else {
                        throw fail("conv2d kernel \(kernel) with padding \(padding) does not fit the \(shape[0])×\(shape[1]) input")
                    }
                    shape = [h, w, out]
                case let .maxPool(size, stride), let .avgPool(size, stride):
                    guard shape.count == 3 else { throw fail("pooling expects an [H, W, C] input, got \(shape)") }
                    guard shape[0] >= size, shape[1] >= size else {
                        throw fail("pool size \(size) does not fit the \(shape[0])×\(shape[1]) input")
                    }
                    shape = [(shape[0] - size) / stride + 1, (shape[1] - size) / stride + 1, shape[2]]
                case .globalAvgPool:
                    guard shape.count == 3 else { throw fail("globalavgpool expects an [H, W, C] input, got \(shape)") }
                    shape = [shape[2]]
                case .batchNorm:
                    guard shape.count == 1 || shape.count == 3 else { throw fail("batchnorm expects [C] or [H, W, C], got \(shape)") }
                case .layerNorm, .dropout, .relu, .gelu, .tanh, .sigmoid:
                    break
                case let .residual(out, stride):
                    guard shape.count == 3 else { throw fail("residual expects an [H, W, C] input, got \(shape)") }
                    shape = [(shape[0] - 1) / stride + 1, (shape[1] - 1) / stride + 1, out]
                case let .embedding(_, dim, maxLength, _, _, _):
                    guard isTokenIds else { throw fail("an embedding layer needs a token input ({\"tokens\": T})") }
                    guard shape[0] <= maxLength else { throw fail("input has \(shape[0]) tokens but max_length is \(maxLength)") }
                    shape = [shape[0], dim]
                    isTokenIds = false
                case let .encoder(heads, _, _, _, _):
                    guard shape.count == 2 else { throw fail("encoder expects a [T, D] sequence, got \(shape)") }
                    guard shape[1] % heads == 0 else { throw fail("width \(shape[1]) is not divisible by \(heads) heads") }
                case .sequencePool:
                    guard shape.count == 2 else { throw fail("pool expects a [T, D] sequence, got \(shape)") }
                    shape = [shape[1]]
                }
            }
            outputs.append(shape)
        }
        guard let last = outputs.last, last.count == 1 else {
            throw SpecError(file: file, path: "blocks[\(blocks.count - 1)]",
                            message: "the last block (the head) must output [classes], got \(outputs.last ?? [])")
        }
        return outputs
    }

    /// Validates shapes with representative data-dependent widths.
    func validateShapes(file: String) throws {
        let shapes = try blockOutputShapes(classes: 10, vocab: 100, file: file)
        guard case .linear(.classes, _)? = blocks.last?.layers.last(where: {
            if case .linear = $0 { return true }; return false
        }) else {
            throw SpecError(file: file, path: "blocks[\(blocks.count - 1)]",
                            message: "the head block must end in a linear layer with \"out\": \"classes\"")
        }
        _ = shapes
    }
}
