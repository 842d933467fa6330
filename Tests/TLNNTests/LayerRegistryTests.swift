import Testing
import Foundation
@testable import TLTensor
@testable import TLNN

@Suite struct LayerRegistryTests {
    /// A dense spec around one layer object (a flatten and the classes head after it).
    static func spec(around layer: String, input: String = "[4, 4, 2]") -> String {
        #"{"name": "probe", "input": \#(input), "blocks": [{"name": "body", "layers": [\#(layer)]}, "#
            + #"{"name": "head", "layers": [{"type": "flatten"}, {"type": "linear", "out": "classes"}]}]}"#
    }

    @Test func typeNamesAreUniqueAndListed() {
        let names = LayerRegistry.kinds.map { $0.typeName }
        #expect(Set(names).count == names.count)
        #expect(LayerRegistry.typeNames == names.sorted())
        for name in names { #expect(LayerRegistry.kind(named: name).map { $0.typeName } == name) }
    }

    @Test func unknownTypeSuggestsTheNearestRegisteredName() {
        #expect(throws: SpecError.self) { try ModelSpec.parse(Data(Self.spec(around: #"{"type": "relu7"}"#).utf8), file: "x.json") }
        do { _ = try ModelSpec.parse(Data(Self.spec(around: #"{"type": "relu7"}"#).utf8), file: "x.json") } catch {
            #expect("\(error)".contains("(did you mean 'relu'?)") || "\(error)".contains("(did you mean 'relu6'?)"))
            #expect("\(error)".hasPrefix("x.json: blocks[0].layers[0].type: unknown layer type 'relu7'"))
        }
    }

    @Test func relu6SpecParsesBuildsAndRoundTrips() throws {
        let spec = try ModelSpec.parse(Data(Self.spec(around: #"{"type": "relu6"}"#).utf8), file: "relu6.json")
        #expect(spec.blocks[0].layers.first is ReLU6Spec)
        #expect(try spec.blockOutputShapes(classes: 3, vocab: 0) == [[4, 4, 2], [3]])
        #expect(spec.jsonText().contains(#"{"type":"relu6"}"#))
        #expect(try ModelSpec.parse(Data(spec.jsonText().utf8), file: "again") == spec)
        var rng = SeededGenerator(seed: 1)
        let layer = try ReLU6Spec().makeLayer(input: [4, 4, 2], context: SpecContext(classes: 3, vocab: 0), rng: &rng)
        let x = try Tensor([-3, -0.5, 0.25, 2, 5.5, 6.5, 9, 0], shape: [1, 8])
        #expect(try layer.forward(x).scalars == x.scalars.map { Swift.min(Swift.max($0, 0), 6) })
    }

    @Test func relu6RejectsFields() {
        #expect(throws: SpecError.self) { try ModelSpec.parse(Data(Self.spec(around: #"{"type": "relu6", "max": 5}"#).utf8), file: "x") }
    }

    /// Finite differences through the layer, with inputs kept away from the kinks at 0 and 6.
    @Test func relu6GradientMatchesFiniteDifferences() throws {
        var rng = SeededGenerator(seed: 11)
        let values = (0..<48).map { _ -> Float in
            var v = rng.nextUniform() * 10 - 2                       // [-2, 8)
            if Swift.abs(v) < 0.1 || Swift.abs(v - 6) < 0.1 { v += 0.25 }
            return v
        }
        #expect(values.contains { $0 < 0 } && values.contains { $0 > 6 } && values.contains { $0 > 0 && $0 < 6 })
        let layer = ReLU6()
        let result = try checkGradients("relu6", inputs: [try Tensor(values, shape: [4, 12])]) { try layer.forward($0[0]) }
        #expect(result.passed, "\(result)")
    }

    @Test func everyKindRoundTripsItsOwnFields() throws {
        // Each kind's fields, written by jsonFields, read back by init(fields:) to an equal value.
        let samples: [any LayerSpec] = [
            Conv2DSpec(out: 3, kernel: 3, stride: 2, padding: 1, bias: false), MaxPoolSpec(size: 2, stride: 1),
            AvgPoolSpec(size: 3, stride: 3), LinearSpec(out: .fixed(7), bias: false), DropoutSpec(rate: 0.3),
            LayerNormSpec(epsilon: 1e-3), ResidualSpec(out: 4, stride: 2), ReLU6Spec(), BatchNormSpec(),
        ]
        for layer in samples {
            let body = layer.jsonFields.merging(["type": type(of: layer).typeName]) { a, _ in a }
            let text = String(decoding: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]), as: UTF8.self)
            let spec = try ModelSpec.parse(Data(Self.spec(around: text, input: "[8, 8, 2]").utf8), file: "kind")
            #expect(spec.blocks[0].layers[0].isEqual(to: layer), "\(text)")
        }
    }
}
