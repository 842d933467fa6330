import Foundation
import TLNN

extension ParameterGroup {
    /// Layer-wise (discriminative) learning rates over the model's ordered blocks
    /// (`Module.orderedBlocks()`): parameters outside every block (the head) get
    /// `learningRate`, block i of B gets `learningRate · decay^(B − i)`, so the deepest block
    /// gets `learningRate · decay` and block 0 the smallest rate. Frozen parameters are left
    /// out; groups left empty are dropped. Order: block 0 … block B−1, then the rest.
    public static func layerwise(_ module: Module, learningRate: Double, decay: Double,
                                 weightDecay: Double = 0) throws -> [ParameterGroup] {
        let blocks = try module.orderedBlocks()
        var assigned = Set<ObjectIdentifier>()
        var groups: [ParameterGroup] = []
        let all = module.namedTrainableParameters()
        for (i, block) in blocks.enumerated() {
            let ids = Set(block.module.parameters().map(ObjectIdentifier.init))
            let members = all.filter { ids.contains(ObjectIdentifier($0.parameter)) && !assigned.contains(ObjectIdentifier($0.parameter)) }
            members.forEach { assigned.insert(ObjectIdentifier($0.parameter)) }
            let rate = learningRate * pow(decay, Double(blocks.count - i))
            if !members.isEmpty { groups.append(ParameterGroup(parameters: members, learningRate: rate, weightDecay: weightDecay)) }
        }
        let rest = all.filter { !assigned.contains(ObjectIdentifier($0.parameter)) }
        if !rest.isEmpty { groups.append(ParameterGroup(parameters: rest, learningRate: learningRate, weightDecay: weightDecay)) }
        return groups
    }

    /// Splits this group in two: parameters whose path matches any of `patterns` (globs as in
    /// `ParameterSelector.pattern`, e.g. `*.bias`, `*Norm.*`) get weight decay 0, the others
    /// keep it; the usual AdamW recipe for transformers. Empty halves are dropped.
    public func excludingWeightDecay(matching patterns: [String]) -> [ParameterGroup] {
        let matches: (String) -> Bool = { path in patterns.contains { ParameterSelector.globMatches($0, path) } }
        var decayed = self, undecayed = self
        decayed.parameters = parameters.filter { !matches($0.path) }
        undecayed.parameters = parameters.filter { matches($0.path) }
        undecayed.weightDecay = 0
        return [decayed, undecayed].filter { !$0.parameters.isEmpty }
    }
}
