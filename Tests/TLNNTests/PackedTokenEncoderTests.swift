import Testing
@testable import TLTensor
@testable import TLNN

/// PackedTokenEncoder (padding-free inference) gives the padded layers' pooled vectors bit for
/// bit: post- and pre-LayerNorm encoders, mean and [CLS] pools, batches of 1, 3 and 32 with
/// lengths from 1 token to the position table's length. It is built only for the standard
/// stack in eval mode without LoRA adapters.
@Suite struct PackedTokenEncoderTests {
    static let vocab = 50, width = 16, heads = 2, positions = 48

    /// embeddings → two encoder layers (→ dropout) → pool, seeded weights, in eval mode.
    func layers(preNorm: Bool = false, pool: SequencePool.Mode = .mean, dropoutLayer: Bool = false, seed: UInt64 = 5) throws -> [Layer] {
        var rng = SeededGenerator(seed: seed)
        var layers: [Layer] = [TokenEmbeddingBlock(embeddings: try BertEmbeddings(vocabSize: Self.vocab, hiddenSize: Self.width,
                                                                                   maxPositions: Self.positions, rng: &rng))]
        for _ in 0..<2 {
            let block = try TransformerEncoderBlock(hiddenSize: Self.width, headCount: Self.heads, intermediateSize: 32, preNorm: preNorm, rng: &rng)
            // LayerNorm affine parameters away from 1 and 0, so a swapped norm shows.
            for norm in [block.attentionNorm, block.outputNorm] {
                try norm.weight.assign(Tensor.uniform([Self.width], low: 0.5, high: 1.5, using: &rng))
                try norm.bias.assign(Tensor.uniform([Self.width], low: -0.5, high: 0.5, using: &rng))
            }
            layers.append(MaskedEncoderLayer(layer: block))
        }
        if dropoutLayer { layers.append(try Dropout(probability: 0.3, rng: &rng)) }
        layers.append(SequencePool(mode: pool))
        for layer in layers { layer.eval() }
        return layers
    }

    /// Token ids (1..<vocab, no padding id) of the given lengths.
    func sequences(_ lengths: [Int], seed: UInt64) -> [[Int]] {
        var rng = SeededGenerator(seed: seed)
        return lengths.map { n in (0..<n).map { _ in 1 + Int(rng.nextUniform() * Float(Self.vocab - 2)) } }
    }

    /// The padded path: ids [N, T] padded with 0 to the longest, through the layers.
    func padded(_ layers: [Layer], _ batch: [[Int]]) throws -> Tensor {
        let t = batch.map(\.count).max()!
        var flat = [Float](repeating: 0, count: batch.count * t)
        for (i, row) in batch.enumerated() { for (j, id) in row.enumerated() { flat[i * t + j] = Float(id) } }
        return try withNoGrad { try Sequential(layers).forward(Tensor(flat, shape: [batch.count, t])) }
    }

    static let batches: [[Int]] = [[17], [1, 48, 9], (0..<32).map { [48, 1, 2, 47, 22, 23, 24, 11, 30][$0 % 9] - $0 % 3 + 0 }.map { max(1, $0) }]

    @Test(arguments: [(false, SequencePool.Mode.mean), (true, .mean), (false, .cls), (true, .cls)], batches)
    func packedEqualsPaddedBitForBit(_ variant: (preNorm: Bool, pool: SequencePool.Mode), lengths: [Int]) throws {
        let layers = try layers(preNorm: variant.preNorm, pool: variant.pool, dropoutLayer: variant.preNorm)
        let encoder = try #require(try PackedTokenEncoder.make(layers: layers))
        let batch = sequences(lengths, seed: UInt64(lengths.count))
        let expected = try padded(layers, batch)
        let pooled = try withNoGrad { try encoder.pooled(batch) }
        #expect(pooled.shape == [lengths.count, Self.width])
        #expect(pooled.scalars.map(\.bitPattern) == expected.scalars.map(\.bitPattern),
                "pre-norm \(variant.preNorm) \(variant.pool): \(zip(pooled.scalars, expected.scalars).filter { $0.bitPattern != $1.bitPattern }.count) values differ")
    }

    @Test func notBuiltOutsideTheStandardStack() throws {
        var rng = SeededGenerator(seed: 2)
        let standard = try layers()
        #expect(try PackedTokenEncoder.make(layers: standard) != nil)
        // Training mode.
        let training = try layers()
        training[1].train()
        #expect(try PackedTokenEncoder.make(layers: training) == nil)
        // A LoRA adapter on a query projection.
        let adapted = try layers()
        let encoder = try #require(adapted[1] as? MaskedEncoderLayer)
        encoder.layer.attention.query.adapter = try LoRAAdapter(inFeatures: Self.width, outFeatures: Self.width, rank: 2, alpha: 2, rng: &rng)
        for layer in adapted { layer.eval() }
        #expect(try PackedTokenEncoder.make(layers: adapted) == nil)
        // Another layer between the encoders and the pool, no pool last, no embeddings first.
        var extra = try layers()
        extra.insert(GELU(), at: 2)
        #expect(try PackedTokenEncoder.make(layers: extra) == nil)
        #expect(try PackedTokenEncoder.make(layers: Array(standard.dropLast())) == nil)
        #expect(try PackedTokenEncoder.make(layers: Array(standard.dropFirst())) == nil)
    }

    @Test func supportsBatchesWhoseLinearsTakeThePaddedGemmPath() throws {
        let encoder = try #require(try PackedTokenEncoder.make(layers: layers()))
        // Width 16: the 16 × 16 attention output's GEMM is tiny (m·16·16 ≤ 4096) up to 16 rows.
        #expect(!encoder.supports(lengths: [1, 15]))        // 16 packed rows tiny, 30 padded rows not
        #expect(encoder.supports(lengths: [15, 15]))        // 30 rows both ways
        #expect(encoder.supports(lengths: [1, 2]))          // tiny both ways
        #expect(!encoder.supports(lengths: []) && !encoder.supports(lengths: [3, 0]))
        // Id 0 inside a text is padding to the padded path (masked out): not packed.
        let withPadding = sequences([20, 20], seed: 3).enumerated().map { i, s in i == 0 ? s : [s[0], 0] + s.dropFirst(2) }
        #expect(encoder.supports(sequences([20, 20], seed: 3)) && !encoder.supports(withPadding))
        #expect(throws: ModuleError.self) { try withNoGrad { try encoder.pooled(withPadding) } }
        // The batch it refuses gives different rounding when forced through packed rows; the
        // padded layers' result is what SentenceEmbedder computes for it.
        #expect(throws: ModuleError.self) { try withNoGrad { try encoder.pooled(sequences([1, 15], seed: 1)) } }
    }

    @Test func refusesEmptySequencesAndUnknownIds() throws {
        let encoder = try #require(try PackedTokenEncoder.make(layers: layers()))
        #expect(throws: ModuleError.self) { try withNoGrad { try encoder.pooled([[3, 4], []]) } }
        #expect(throws: ModuleError.self) { try withNoGrad { try encoder.pooled([[3, Self.vocab]]) } }
        #expect(throws: ModuleError.self) { try withNoGrad { try encoder.pooled([[Int](repeating: 3, count: Self.positions + 1)]) } }
    }
}
