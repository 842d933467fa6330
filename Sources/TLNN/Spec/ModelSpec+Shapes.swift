/// Static shape inference over a spec: per-layer output shapes (batch axis excluded), and
/// validation that reports impossible shapes with the JSON path of the offending layer.
/// The per-kind rules are each `LayerSpec`'s `outputShape`; this walks the blocks.
extension ModelSpec {
    /// Output sample shape of each top-level block.
    public func blockOutputShapes(classes: Int, vocab: Int, file: String = "spec") throws -> [[Int]] {
        let context = SpecContext(classes: classes, vocab: vocab)
        var shape: [Int]
        var isTokenIds = false
        switch input {
        case .dense(let s): shape = s
        case .tokens(let t): shape = [t]; isTokenIds = true
        }
        var outputs: [[Int]] = []
        for (b, block) in blocks.enumerated() {
            for (l, layer) in block.layers.enumerated() {
                func fail(_ message: String) -> SpecError { SpecError(file: file, path: "blocks[\(b)].layers[\(l)]", message: message) }
                let kind = type(of: layer)
                if isTokenIds && !kind.readsTokenIDs {
                    let readers = LayerRegistry.kinds.filter { $0.readsTokenIDs }.map { "\"\($0.typeName)\"" }.joined(separator: " or ")
                    throw fail("a token input must go through an \(readers) layer first")
                }
                if !isTokenIds && kind.readsTokenIDs {
                    throw fail("an \(kind.typeName) layer needs a token input ({\"tokens\": T})")
                }
                do { shape = try layer.outputShape(for: shape, context: context) } catch let error as SpecShapeError {
                    throw fail(error.message)
                }
                isTokenIds = false
            }
            outputs.append(shape)
        }
        guard let last = outputs.last, last.count == 1 else {
            throw SpecError(file: file, path: "blocks[\(blocks.count - 1)]",
                            message: "the last block (the head) must output [classes], got \(outputs.last ?? [])")
        }
        return outputs
    }

    /// Validates shapes with representative data-dependent widths, and that the head ends in
    /// a linear layer whose width is the data's class count.
    func validateShapes(file: String) throws {
        _ = try blockOutputShapes(classes: 10, vocab: 100, file: file)
        guard let head = blocks.last?.layers.last(where: { $0 is LinearSpec }) as? LinearSpec, head.out == .classes else {
            throw SpecError(file: file, path: "blocks[\(blocks.count - 1)]",
                            message: "the head block must end in a linear layer with \"out\": \"classes\"")
        }
    }
}
