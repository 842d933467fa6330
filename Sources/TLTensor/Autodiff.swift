import TLKernels

/// Reverse-mode automatic differentiation.
///
/// Every operation on tensors that require grad records an `AutodiffNode`: the primitive that
/// produced the output, the input tensors, and (for a few primitives) the output value. The
/// graph is a DAG that lives exactly as long as the tensors referring to it. `backward()` walks
/// it in reverse topological order and applies one backward rule per primitive (see
/// `Autodiff+Rules.swift`, the only place rules live). Leaves (tensors created with
/// `requiringGrad()`, e.g. parameters) accumulate gradients across uses and across calls until
/// `zeroGrad()`.
///
/// As in PyTorch (`retain_graph=False`), `backward()` frees the graph it walks: each node drops
/// its inputs and saved output once its rule has run. Activations are then released during the
/// backward pass instead of when the caller's last tensor goes, and the parameters' arrays are
/// uniquely owned again before the optimizer updates them in place (no copy-on-write copy of
/// every weight per step). A second `backward()` through a freed node throws.
final class AutodiffNode {
    /// `nil` for a leaf.
    let primitive: Primitive?
    private(set) var inputs: [Tensor]
    /// Set once `backward()` has freed this node's inputs and saved output.
    private(set) var isReleased = false
    let shape: [Int]
    /// The forward output, saved only for primitives whose rule needs it.
    var savedOutput: [Float]?
    /// Accumulated gradient (leaves only, persistent until cleared).
    var grad: Tensor?

    init(leafWithShape shape: [Int]) {
        self.primitive = nil
        self.inputs = []
        self.shape = shape
    }

    init(primitive: Primitive, inputs: [Tensor], shape: [Int]) {
        self.primitive = primitive
        self.inputs = inputs
        self.shape = shape
    }

    /// Drops what only the backward pass needed (inputs, saved output) — leaves keep their gradient.
    func release() {
        guard primitive != nil else { return }
        inputs = []
        savedOutput = nil
        isReleased = true
    }
}

/// Global-free switch for gradient recording, scoped per task/thread.
public enum GradMode {
    /// Whether operations currently record the autodiff graph.
    @TaskLocal public static var isEnabled: Bool = true
}

/// Runs `body` without recording any autodiff graph (inference, evaluation, optimizer updates).
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$isEnabled.withValue(false, operation: body)
}

extension Tensor {
    /// Whether this tensor takes part in the autodiff graph.
    public var requiresGrad: Bool { node != nil }

    /// Whether this tensor is a leaf of the graph (created by `requiringGrad()`).
    public var isLeaf: Bool { node != nil && node!.primitive == nil }

    /// A copy of this tensor that is a fresh leaf requiring grad (gradients accumulate in it).
    public func requiringGrad() -> Tensor {
        Tensor(unchecked: scalars, shape: shape, node: AutodiffNode(leafWithShape: shape))
    }

    /// A copy cut from the graph: same values, no gradient flows through it.
    public func detached() -> Tensor {
        Tensor(unchecked: scalars, shape: shape)
    }

    /// The accumulated gradient of a leaf, or `nil` if none has flowed into it yet.
    public var grad: Tensor? { node?.grad }

    /// Clears the accumulated gradient of this leaf.
    public func zeroGrad() { node?.grad = nil }

    /// Sets the accumulated gradient of a leaf directly (used by gradient clipping and tests).
    public func setGrad(_ value: Tensor?) throws {
        if let value, value.shape != shape {
            throw TensorError.shapeMismatch(operation: "setGrad", lhs: shape, rhs: value.shape)
        }
        node?.grad = value?.detached()
    }

    /// Records `output` as produced by `primitive` from `inputs`, if any input requires grad and
    /// recording is enabled. Otherwise returns `output` untouched: no tape work at all.
    static func record(_ primitive: Primitive, inputs: [Tensor], output: Tensor, saveOutput: Bool = false) -> Tensor {
        guard inputs.contains(where: { $0.node != nil }), GradMode.isEnabled else { return output }
        let node = AutodiffNode(primitive: primitive, inputs: inputs, shape: output.shape)
        if saveOutput { node.savedOutput = output.scalars }
        var result = output
        result.node = node
        return result
    }

    /// Back-propagates from this tensor. Without `seed` the tensor must hold one element
    /// (a scalar loss) and the seed is 1. Gradients are added into every reachable leaf.
    /// The graph is freed on the way (PyTorch's default) unless `retainGraph` is true; a
    /// second backward through a freed graph throws.
    public func backward(seed: Tensor? = nil, retainGraph: Bool = false) throws {
        guard let root = node else {
            throw TensorError.invalidArgument(operation: "backward", message: "tensor does not require grad")
        }
        let start: Tensor
        if let seed {
            guard seed.shape == shape else {
                throw TensorError.shapeMismatch(operation: "backward seed", lhs: shape, rhs: seed.shape)
            }
            start = seed.detached()
        } else {
            guard count == 1 else {
                throw TensorError.invalidArgument(operation: "backward",
                    message: "backward() without a seed needs a one-element loss, got shape \(shape)")
            }
            start = Tensor.ones(shape)
        }
        let order = Self.topologicalOrder(from: root)
        if let freed = order.first(where: { $0.isReleased }) {
            throw TensorError.invalidArgument(operation: "backward",
                message: "the graph through \(freed.primitive?.description ?? "a node") was already freed by an earlier backward(); pass retainGraph: true to the first call")
        }
        try withNoGrad {
            var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): start]
            for node in order.reversed() {
                guard let upstream = grads.removeValue(forKey: ObjectIdentifier(node)) else { continue }
                guard let primitive = node.primitive else {
                    if node.grad == nil { node.grad = upstream } else { try node.grad!.accumulate(upstream) }
                    continue
                }
                let needs = node.inputs.map { $0.node != nil }
                let inputGrads = try primitive.gradients(
                    inputs: node.inputs, output: node.savedOutput, shape: node.shape,
                    upstream: upstream, needs: needs)
                for (input, g) in zip(node.inputs, inputGrads) {
                    guard let inputNode = input.node, let g else { continue }
                    guard g.shape == input.shape else {
                        throw TensorError.shapeMismatch(operation: "backward of \(primitive)", lhs: input.shape, rhs: g.shape)
                    }
                    let key = ObjectIdentifier(inputNode)
                    if grads[key] == nil { grads[key] = g } else { try grads[key]!.accumulate(g) }
                }
                if !retainGraph { node.release() }
            }
            // Nodes no gradient reached (inputs that needed none) are freed too.
            if !retainGraph { for node in order { node.release() } }
        }
    }

    /// Nodes reachable from `root`, each after all of its inputs (iterative DFS, so deep
    /// graphs cannot overflow the stack).
    private static func topologicalOrder(from root: AutodiffNode) -> [AutodiffNode] {
        var order: [AutodiffNode] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(AutodiffNode, Int)] = [(root, 0)]
        visited.insert(ObjectIdentifier(root))
        while let (node, next) = stack.popLast() {
            if next < node.inputs.count {
                stack.append((node, next + 1))
                if let child = node.inputs[next].node, visited.insert(ObjectIdentifier(child)).inserted {
                    stack.append((child, 0))
                }
            } else {
                order.append(node)
            }
        }
        return order
    }
}

extension Tensor {
    /// `self += other` in place (same shape): gradient accumulation without a new array per
    /// sum. Copy-on-write still copies first when the storage is shared (e.g. `x + x`, whose
    /// rule hands the same upstream array to both uses). Same IEEE additions as `self + other`.
    mutating func accumulate(_ other: Tensor) throws {
        guard shape == other.shape else {
            throw TensorError.shapeMismatch(operation: "gradient accumulation", lhs: shape, rhs: other.shape)
        }
        let n = count
        guard n > 0 else { return }
        other.scalars.withUnsafeBufferPointer { b in
            scalars.withUnsafeMutableBufferPointer { a in
                let A = a.baseAddress!, B = b.baseAddress!
                parallelElements(count: n, streams: 3) { r in
                    binaryContiguous(.add, A + r.lowerBound, B + r.lowerBound, A + r.lowerBound, count: r.count)
                }
            }
        }
    }
}
