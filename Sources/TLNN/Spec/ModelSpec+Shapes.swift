import TLIO

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
        do { try AllocationBudget.check(elements: shape, what: "one input sample of shape \(shape)") } catch let error as BudgetError {
            throw SpecError(file: file, path: "input", message: error.description)
        }
        var outputs: [[Int]] = []
        var parameters = 0
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
                let input = shape
                do { shape = try layer.outputShape(for: input, context: context) } catch let error as SpecShapeError {
                    throw fail(error.message)
                }
                // Declared sizes are budgeted before anything is built: one sample's activations
                // (4-byte floats) and the weights (×4: values, gradients, two Adam moments).
                do {
                    try AllocationBudget.check(elements: shape, what: "its output of shape \(shape) per sample")
                    guard let count = layer.parameterCount(input: input, context: context),
                          case let (sum, overflow) = parameters.addingReportingOverflow(count), !overflow else {
                        throw BudgetError(what: "its weights", bytes: nil)
                    }
                    parameters = sum
                    try AllocationBudget.check(elements: [parameters], bytesPerElement: 16,
                                               what: "its \(count) weights (\(parameters) in the model so far)")
                } catch let error as BudgetError {
                    throw fail("\(kind.typeName) layer: \(error.description)")
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
