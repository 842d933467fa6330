import TLTensor

/// The base class of every layer and model.
///
/// Parameters, buffers and child modules are discovered automatically by reflection over
/// stored properties (`Mirror`), so models never maintain lists of their parameters:
/// a stored property that holds a `Parameter`, a `Buffer`, a `Module`, an optional of one, or
/// an array of any of these (nested arrays too) is part of the module. Each gets a stable
/// dotted path built from property names, with array elements as `.N`:
/// `blocks.2.attention.query.weight`. Properties of superclasses come first, then the
/// subclass's, each in declaration order. Dictionaries are not traversed.
///
/// A parameter reachable by two paths (weight tying) is reported once, under its first path.
open class Module {
    /// Training mode (dropout active, BatchNorm uses batch statistics). Separate from
    /// freezing: a frozen BatchNorm uses running statistics even in training mode.
    public private(set) var isTraining: Bool = true

    public init() {}

    /// The direct members of this module. The default reflects over stored properties;
    /// containers such as `Sequential` override it to name children by index only.
    open func directMembers() -> ModuleMembers {
        var members = ModuleMembers()
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let m = mirror { mirrors.append(m); mirror = m.superclassMirror }
        for m in mirrors.reversed() {
            for child in m.children {
                guard var label = child.label, !label.hasPrefix("$") else { continue }
                if label.hasPrefix("_") { label.removeFirst() }
                members.collect(label, child.value)
            }
        }
        return members
    }

    /// Custom ordered top-level blocks for block-index selectors, or `nil` for the default
    /// (see `orderedBlocks()`). Override in models whose blocks are not one `Sequential`.
    open func blockList() -> [(path: String, module: Module)]? { nil }

    /// Direct child modules with their property names (array elements as `name.N`).
    public func namedChildren() -> [(name: String, module: Module)] { directMembers().modules }

    /// This module and every descendant, depth-first, with dotted paths ("" for self).
    public func namedModules() -> [(path: String, module: Module)] {
        var result: [(String, Module)] = []
        var seen = Set<ObjectIdentifier>()
        func walk(_ m: Module, _ path: String) {
            guard seen.insert(ObjectIdentifier(m)).inserted else { return }
            result.append((path, m))
            for (name, child) in m.directMembers().modules { walk(child, Self.join(path, name)) }
        }
        walk(self, "")
        return result
    }

    /// Every parameter with its dotted path, each once, in a stable order: modules
    /// depth-first (`namedModules()` order), and within a module its own parameters in
    /// declaration order, as PyTorch's `named_parameters()`.
    public func namedParameters() -> [(path: String, parameter: Parameter)] {
        var result: [(String, Parameter)] = []
        var seen = Set<ObjectIdentifier>()
        for (path, m) in namedModules() {
            for (name, p) in m.directMembers().parameters where seen.insert(ObjectIdentifier(p)).inserted {
                result.append((Self.join(path, name), p))
            }
        }
        return result
    }

    /// Every parameter (frozen or not).
    public func parameters() -> [Parameter] { namedParameters().map(\.parameter) }

    /// Parameters that are not frozen, with their paths (what optimizer groups are built from).
    public func namedTrainableParameters() -> [(path: String, parameter: Parameter)] {
        namedParameters().filter { !$0.parameter.isFrozen }
    }

    /// Parameters that are not frozen.
    public func trainableParameters() -> [Parameter] { namedTrainableParameters().map(\.parameter) }

    /// Every buffer (running statistics, counters) with its dotted path.
    public func namedBuffers() -> [(path: String, buffer: Buffer)] {
        var result: [(String, Buffer)] = []
        var seen = Set<ObjectIdentifier>()
        for (path, m) in namedModules() {
            for (name, b) in m.directMembers().buffers where seen.insert(ObjectIdentifier(b)).inserted {
                result.append((Self.join(path, name), b))
            }
        }
        return result
    }

    /// True when this module owns at least one parameter (directly or below) and all of them
    /// are frozen.
    public var isFrozen: Bool {
        let ps = parameters()
        return !ps.isEmpty && ps.allSatisfy(\.isFrozen)
    }

    /// Clears the gradients of every parameter.
    public func zeroGrad() { for p in parameters() { p.zeroGrad() } }

    /// Puts this module and all descendants in training mode.
    public func train() { setTraining(true) }
    /// Puts this module and all descendants in evaluation mode (dropout off, running statistics).
    public func eval() { setTraining(false) }
    /// Sets the mode of this module and all descendants.
    public func setTraining(_ training: Bool) {
        for (_, m) in namedModules() { m.isTraining = training }
    }

    /// Total number of parameter elements (frozen included).
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    static func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : (b.isEmpty ? a : a + "." + b) }
}

/// The direct parameters, buffers and child modules of one module, with their names.
public struct ModuleMembers {
    public var parameters: [(name: String, parameter: Parameter)] = []
    public var buffers: [(name: String, buffer: Buffer)] = []
    public var modules: [(name: String, module: Module)] = []

    public init() {}

    /// Adds whatever `value` holds under `name`: a Parameter, Buffer or Module, an optional of
    /// one (nil adds nothing) or an array (elements named `name.N`). Other values are ignored.
    public mutating func collect(_ name: String, _ value: Any) {
        if let p = value as? Parameter { parameters.append((name, p)); return }
        if let b = value as? Buffer { buffers.append((name, b)); return }
        if let m = value as? Module { modules.append((name, m)); return }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            if let wrapped = mirror.children.first { collect(name, wrapped.value) }
        case .collection:
            // Only arrays whose first element is module state are walked: a stored [Float]
            // or [Int] is skipped without visiting every element.
            guard let first = mirror.children.first, Self.mayHoldState(first.value) else { return }
            for (i, element) in mirror.children.enumerated() { collect(name + ".\(i)", element.value) }
        default:
            return
        }
    }

    private static func mayHoldState(_ value: Any) -> Bool {
        if value is Parameter || value is Buffer || value is Module { return true }
        let style = Mirror(reflecting: value).displayStyle
        return style == .optional || style == .collection
    }
}

/// A module with one tensor input and one tensor output, usable in `Sequential`.
open class Layer: Module {
    /// Computes the layer's output. Subclasses override this.
    open func forward(_ x: Tensor) throws -> Tensor {
        throw ModuleError.invalidConfiguration(layer: "\(type(of: self))", message: "forward(_:) is not implemented")
    }

    /// Same as `forward(_:)`.
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try forward(x) }
}

/// Layers applied in order; the elements are the model's indexable blocks (`--freeze 0..3`).
/// Children are named by index only (`0.weight`), like PyTorch's `nn.Sequential`, so a
/// Sequential stored in property `blocks` yields paths `blocks.N.…`.
public final class Sequential: Layer {
    /// The layers, in application order.
    public private(set) var layers: [Layer]

    public init(_ layers: [Layer]) { self.layers = layers }
    public convenience init(_ layers: Layer...) { self.init(layers) }

    public override func directMembers() -> ModuleMembers {
        var members = ModuleMembers()
        for (i, layer) in layers.enumerated() { members.modules.append(("\(i)", layer)) }
        return members
    }

    // x → layers[0] → layers[1] → …
    public override func forward(_ x: Tensor) throws -> Tensor {
        var h = x
        var i = 0
        while i < layers.count {
            // BatchNorm with batch statistics followed by ReLU (a CNN stem): one fused primitive
            // (BatchNorm's clamp to [0, ∞), as in ResidualBlock): no separate ReLU pass either way.
            if let norm = layers[i] as? BatchNorm, norm.usesBatchStatistics, i + 1 < layers.count, layers[i + 1] is ReLU {
                h = try norm.forward(h, clampTo: 0, .infinity)
                i += 2
                continue
            }
            h = try layers[i].forward(h)
            i += 1
        }
        return h
    }

    public var count: Int { layers.count }
    public subscript(index: Int) -> Layer { layers[index] }
}
