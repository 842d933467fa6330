// TLNN: modules, layers, losses and initialisers on top of TLTensor.
//
// - `Module` / `Layer` / `Sequential` (Module.swift): classes whose `Parameter`s, `Buffer`s and
//   child modules are found by reflection, with dotted paths (`blocks.2.attention.query.weight`).
// - Selection and freezing (Module+Selection.swift): `ParameterSelector` (all, block ranges,
//   globs), `freeze` / `unfreeze`, nearest-path errors; `BlockSelector` (BlockSelector.swift):
//   the typed `--freeze` grammar (ranges, lists, head-relative bounds), Codable.
// - Named state (Module+State.swift): `namedState` / `loadState` for checkpoints, dropout RNG states.
// - Layers (Layers/): Linear, Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool, Flatten, BatchNorm,
//   LayerNorm, Dropout, Embedding, activations, MultiHeadAttention, TransformerEncoderBlock,
//   TransformerEncoder, BertEmbeddings, BertModel, ResidualBlock, and the masked-sequence blocks
//   of token models (MaskedSequence.swift). Images are channels-last [N, H, W, C].
// - Model specs (Spec/): `ModelSpec` (the `Models/*.json` format) with JSON-path errors, shape
//   inference and serialisation; `LayerRegistry.kinds` lists the layer kinds, each a `LayerSpec`
//   in Spec/Layers/ (JSON keys and validation, output shape, builder, serialisation in one file).
// - `Loss` (Losses.swift): cross-entropy (smoothing, class weights, ignore index), BCE with
//   logits, MSE.  `Init` (Initialization.swift): Kaiming / Xavier, uniform / normal.
//
// Frozen parameters hold plain tensors (no autodiff node): a frozen prefix records no graph and
// costs forward work only.
