import Testing
import Foundation
@testable import TLNN
import TLTensor

@Suite struct ModelSpecTests {
    static let modelsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Models")

    @Test(arguments: ["mlp", "lenet", "resnet", "transformer", "transformer-d128"])
    func shippedSpecsParse(name: String) throws {
        let spec = try ModelSpec.load(from: Self.modelsDirectory.appendingPathComponent("\(name).json"))
        #expect(spec.name == name)
        let shapes = try spec.blockOutputShapes(classes: 5, vocab: 1000)
        #expect(shapes.last == [5])
    }

    @Test func lenetShapes() throws {
        let spec = try ModelSpec.load(from: Self.modelsDirectory.appendingPathComponent("lenet.json"))
        #expect(try spec.blockOutputShapes(classes: 10, vocab: 0) == [[14, 14, 6], [5, 5, 16], [120], [84], [10]])
        let resnet = try ModelSpec.load(from: Self.modelsDirectory.appendingPathComponent("resnet.json"))
        #expect(try resnet.blockOutputShapes(classes: 3, vocab: 0) == [[28, 28, 16], [28, 28, 16], [14, 14, 32], [7, 7, 64], [64], [3]])
    }

    func error(_ json: String) -> String {
        do { _ = try ModelSpec.parse(Data(json.utf8), file: "bad.json"); return "no error" } catch { return "\(error)" }
    }

    @Test func problemsAreReportedWithJSONPaths() {
        let head = #"{"name": "head", "layers": [{"type": "linear", "out": "classes"}]}"#
        #expect(error("{") .hasPrefix("bad.json: $: invalid JSON"))
        #expect(error(#"{"name": "x", "input": [4], "blocks": [\#(head)], "colour": 1}"#) == "bad.json: colour: unknown key; allowed: blocks, description, input, name")
        #expect(error(#"{"name": "x", "blocks": [\#(head)]}"#) == "bad.json: input: missing required field")
        #expect(error(#"{"name": "x", "input": [4], "blocks": [{"name": "a", "layers": [{"type": "linear", "out": "five"}]}, \#(head)]}"#)
                == #"bad.json: blocks[0].layers[0].out: expected a positive integer or "classes", got "five""#)
        #expect(error(#"{"name": "x", "input": [4], "blocks": [{"name": "a", "layers": [{"type": "lineer", "out": 3}]}, \#(head)]}"#)
                == "bad.json: blocks[0].layers[0].type: unknown layer type 'lineer' (did you mean 'linear'?); known types: "
                + LayerRegistry.typeNames.joined(separator: ", "))
        #expect(error(#"{"name": "x", "input": [4], "blocks": [{"name": "a", "layers": [{"type": "linear", "out": 3, "bais": true}]}, \#(head)]}"#)
                == "bad.json: blocks[0].layers[0].bais: unknown key (did you mean 'bias'?); allowed: bias, out, type")
        #expect(error(#"{"name": "x", "input": [8, 8, 1], "blocks": [{"name": "a", "layers": [{"type": "conv2d", "out": 3, "kernel": 9}]}, \#(head)]}"#)
                == "bad.json: blocks[0].layers[0]: conv2d kernel 9 with padding 0 does not fit the 8×8 input")
        #expect(error(#"{"name": "x", "input": [64], "blocks": [{"name": "a", "layers": [{"type": "conv2d", "out": 3, "kernel": 3}]}, \#(head)]}"#)
                == "bad.json: blocks[0].layers[0]: conv2d expects an [H, W, C] input, got [64]")
        #expect(error(#"{"name": "x", "input": [8, 8, 1], "blocks": [\#(head)]}"#)
                == "bad.json: blocks[0]: the last block (the head) must output [classes], got [8, 8, 10]")
        #expect(error(#"{"name": "x", "input": {"tokens": 8}, "blocks": [{"name": "e", "layers": [{"type": "embedding", "vocab": "vocab", "dim": 30, "max_length": 8}, {"type": "encoder", "heads": 4, "ffn": 8}]}, \#(head)]}"#)
                == "bad.json: blocks[0].layers[1]: width 30 is not divisible by 4 heads")
        #expect(error(#"{"name": "x", "input": [4], "blocks": [{"name": "a", "layers": [{"type": "dropout", "rate": 1.5}]}, \#(head)]}"#)
                == "bad.json: blocks[0].layers[0].rate: expected a number in [0, 1), got 1.5")
        #expect(error(#"{"name": "x", "input": {"tokens": 8}, "blocks": [{"name": "e", "layers": [{"type": "embedding", "vocab": "vocab", "dim": 32, "max_length": 8}, {"type": "encoder", "heads": 4, "ffn": 8, "ffn_dropout": 1}]}, \#(head)]}"#)
                == "bad.json: blocks[0].layers[1].ffn_dropout: expected a number in [0, 1), got 1.0")
        #expect(error(#"{"name": "x", "input": [4], "blocks": [\#(head), \#(head)]}"#)
                == "bad.json: blocks[1]: duplicate block name 'head'")
    }
}

extension ModelSpecTests {
    /// `ffn_dropout` (PyTorch's dropout inside the feed-forward block) reaches the built block;
    /// without it the block has no such module, so BERT-style specs build what they built before.
    @Test func ffnDropoutBuildsTheFeedForwardDropout() throws {
        func encoders(_ name: String) throws -> [TransformerEncoderBlock] {
            let spec = try ModelSpec.load(from: Self.modelsDirectory.appendingPathComponent("\(name).json"))
            var rng = SeededGenerator(seed: 1)
            return try spec.blocks.flatMap(\.layers).compactMap { $0 as? EncoderSpec }.map { layer in
                let built = try layer.makeLayer(input: [64, 128], context: SpecContext(classes: 2, vocab: 100), rng: &rng)
                return try #require(built as? MaskedEncoderLayer).layer
            }
        }
        let pytorchShaped = try encoders("transformer-d128"), bertShaped = try encoders("transformer")
        #expect(pytorchShaped.count == 2 && bertShaped.count == 2)
        #expect(pytorchShaped.allSatisfy { $0.activationDropout?.probability == 0.1 })
        #expect(bertShaped.allSatisfy { $0.activationDropout == nil })
        #expect(bertShaped[0].namedRandomStates().keys.sorted() == ["attention.attentionDropout", "dropout"])
        #expect(pytorchShaped[0].namedRandomStates().keys.sorted() == ["activationDropout", "attention.attentionDropout", "dropout"])
    }
}

@Suite struct ModelSpecRoundTripTests {
    @Test(arguments: ["mlp", "lenet", "resnet", "transformer", "transformer-d128"])
    func jsonRoundTrips(name: String) throws {
        let spec = try ModelSpec.load(from: ModelSpecTests.modelsDirectory.appendingPathComponent("\(name).json"))
        let again = try ModelSpec.parse(Data(spec.jsonText().utf8), file: "roundtrip")
        #expect(again == spec)
    }
}
