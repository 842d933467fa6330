import Foundation
import TLTensor
import TLNN
import TLData
import TLSafeTensors

/// The version written into every checkpoint.
public let tlVersionString = "0.1.0"

/// Provenance and preprocessing recorded in a checkpoint's `__metadata__` (as JSON under
/// `tl.info`), so a checkpoint alone is enough to rebuild, evaluate and reproduce a model.
public struct CheckpointInfo: Codable, Sendable, Equatable {
    public var version: String = tlVersionString
    /// "pretrain", "finetune", "scratch" or "import".
    public var kind: String
    public var classNames: [String]
    /// The data argument the model was trained on (`DataSource` description).
    public var data: String?
    /// How the training samples were chosen from `data`.
    public var selection: DataSelection?
    /// Set on control runs trained with randomly permuted labels (`--shuffle-labels`).
    public var labelsShuffled: Bool?
    public var settings: TrainingSettings?
    public var seed: UInt64
    /// The command line that produced the checkpoint.
    public var command: String?
    /// Per-channel normalisation fitted on the training split (applied before the model).
    public var normalization: Normalization?
    /// How raw images are prepared for this model (input size, channel order, normalisation on
    /// 0–255 pixels); set by imports of pretrained image models. `normalization` holds the same
    /// transform on tl's 0–1 pixel scale.
    public var preprocessing: ImagePreprocessing?
    /// How raw images are prepared for this model (size, channels, fit, crop fraction), when it
    /// differs from the spec's input with a centre crop (recorded by imports, kept by finetune).
    public var image: ImagePreparation?
    /// Token vocabulary for token models (`[PAD]` = 0), and how text is split.
    public var vocabulary: [String]?
    public var tokenizer: String?
    /// The checkpoint this one was fine-tuned from.
    public var parent: String?
    /// Blocks whose parameters all stayed frozen (bit-identical to `parent`) for the whole run.
    public var frozenBlocks: [Int]?
    /// Blocks released by gradual unfreezing, with the first epoch (1-based) they trained in.
    public var releasedBlocks: [BlockRelease]?
    /// Best validation accuracy and the epoch it was reached.
    public var validationAccuracy: Double?
    public var bestEpoch: Int?
    /// Per-epoch figures of the run (what `tl report` draws learning curves from).
    public var history: [EpochRecord]?
    /// LoRA adapters: then the file stores only what changed and needs its base (Checkpoint+Adapters.swift).
    public var adapters: AdapterInfo?
    /// The source task's head, kept beside a replaced head for `tl eval --source-data` (Checkpoint+SourceHead.swift).
    public var sourceHead: SourceHeadInfo?

    public init(kind: String, classNames: [String], seed: UInt64) {
        self.kind = kind
        self.classNames = classNames
        self.seed = seed
    }
}

/// How training samples were selected from a data source: class subset, few-shot count and
/// the seed of the draw. Recomputing it gives the exact same sample indices, which is how
/// `tl eval` leaves a model's training samples out of its test set.
public struct DataSelection: Codable, Sendable, Equatable {
    /// Original class indices kept, in label order (nil: all).
    public var classes: [Int]?
    /// Samples per class drawn for training (nil: all).
    public var perClass: Int?
    /// One training count per selected class (`--per-class 50,5,…`; nil: `perClass` or all).
    public var perClassCounts: [Int]? = nil
    public var seed: UInt64

    public init(classes: [Int]?, perClass: Int?, seed: UInt64) {
        self.classes = classes
        self.perClass = perClass
        self.seed = seed
    }
}

/// A model plus its provenance, as stored in a safetensors file.
public struct Checkpoint {
    public static let specKey = "tl.spec"
    public static let infoKey = "tl.info"
    public static let resumeKey = "tl.resume"
    /// The `format` metadata value: tl's own tensor layout, version 1. Files written before it
    /// say "pt-compatible safetensors written by tl" (same layout); both read the same way.
    public static let format = "tl-1"
    /// The `layout` metadata value: how tensors differ from PyTorch's (docs/checkpoints.md).
    public static let layout = "float32, images channels-last; conv2d weight [out, kh, kw, in] (PyTorch [out, in, kh, kw]: "
        + "permute(0, 3, 1, 2)); linear weight [out, in] as PyTorch, but a linear after flatten of an image reads features "
        + "in [H, W, C] order; batchnorm weight, bias as PyTorch, buffers runningMean, runningVar, numBatchesTracked "
        + "(float32) = PyTorch running_mean, running_var, num_batches_tracked"

    public var model: TransferModel
    public var info: CheckpointInfo
    /// Extra tensors stored beside the model state (optimizer state, best weights for resume).
    public var extraTensors: [String: Tensor] = [:]
    /// Extra metadata (training state for resume).
    public var extraMetadata: [String: String] = [:]

    public init(model: TransferModel, info: CheckpointInfo) {
        self.model = model
        self.info = info
    }

    /// Writes the checkpoint atomically (temporary file, fsync, rename).
    public func write(to url: URL) throws {
        var file = SafeTensorsFile()
        for (name, t) in try storedState() { try file.setFloats(name, t.scalars, shape: t.shape) }
        for (name, t) in extraTensors { try file.setFloats(name, t.scalars, shape: t.shape) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        file.metadata = extraMetadata
        file.metadata["format"] = Self.format
        file.metadata["layout"] = Self.layout
        file.metadata["tl.version"] = tlVersionString
        file.metadata[Self.specKey] = model.spec.jsonText()
        file.metadata[Self.infoKey] = String(decoding: try encoder.encode(info), as: UTF8.self)
        file.metadata["tl.classes"] = info.classNames.joined(separator: ",")
        file.metadata["tl.seed"] = String(info.seed)
        if let data = info.data { file.metadata["tl.data"] = data }
        if let command = info.command { file.metadata["tl.command"] = command }
        try file.write(to: url)
    }

    /// Reads a checkpoint and rebuilds its model. `classCount` and `dropHead` support head
    /// replacement: with `dropHead`, the head block's tensors are not loaded and the head is
    /// freshly initialised for `classCount` classes from `rng`.
    /// Each tensor is read from disk once, straight into the array its parameter keeps
    /// (`SafeTensorsDiskReader`); the result equals `decode(SafeTensorsFile.read(from: url), …)`.
    public static func read(from url: URL, classCount: Int? = nil, dropHead: Bool = false,
                            rng: inout SeededGenerator) throws -> Checkpoint {
        let reader = try SafeTensorsDiskReader.open(url)
        let (spec, info) = try header(metadata: reader.metadata, path: url.path)
        if let adapters = info.adapters {
            // An adapter checkpoint is laid over its base in memory (Checkpoint+Adapters.swift).
            let file = try withBase(reader.readAll(), adapters: adapters, path: url.path)
            return try load(spec: spec, info: info, from: .file(file), path: url.path, classCount: classCount,
                            dropHead: dropHead, placeholderInitialization: true, rng: &rng)
        }
        return try load(spec: spec, info: info, from: .disk(reader), path: url.path, classCount: classCount,
                        dropHead: dropHead, placeholderInitialization: true, rng: &rng)
    }

    /// The architecture and provenance of a checkpoint, from its metadata alone (no tensor is
    /// converted and no model is built), for callers that only need to look before loading.
    public static func header(of file: SafeTensorsFile, path: String) throws -> (spec: ModelSpec, info: CheckpointInfo) {
        try header(metadata: file.metadata, path: path)
    }

    /// `header(of:path:)` from the `__metadata__` map.
    public static func header(metadata: [String: String], path: String) throws -> (spec: ModelSpec, info: CheckpointInfo) {
        func fail(_ why: String) -> CheckpointError { CheckpointError(path: path, message: why) }
        guard let specText = metadata[specKey] else {
            throw fail("not a tl checkpoint (no '\(specKey)' metadata); import foreign models with 'tl import'")
        }
        guard let infoText = metadata[infoKey] else { throw fail("missing '\(infoKey)' metadata") }
        let spec: ModelSpec
        do { spec = try ModelSpec.parse(Data(specText.utf8), file: "\(path) [\(specKey)]") } catch {
            throw fail("invalid architecture in metadata: \(error)")
        }
        let info: CheckpointInfo
        do { info = try Checkpoint.jsonDecoder.decode(CheckpointInfo.self, from: Data(infoText.utf8)) } catch {
            throw fail("invalid '\(infoKey)' metadata (\(error.localizedDescription))")
        }
        return (spec, info)
    }

    /// Rebuilds a checkpoint from an already-read file.
    /// `placeholderInitialization: false` builds the model with real random values first, as
    /// before that shortcut existed (tests compare the two).
    public static func decode(_ file: SafeTensorsFile, path: String, classCount: Int? = nil, dropHead: Bool = false,
                              placeholderInitialization: Bool = true, rng: inout SeededGenerator) throws -> Checkpoint {
        let (spec, info) = try header(of: file, path: path)
        // An adapter checkpoint stores only what changed: lay it over its base.
        let file = try info.adapters.map { try withBase(file, adapters: $0, path: path) } ?? file
        return try load(spec: spec, info: info, from: .file(file), path: path, classCount: classCount, dropHead: dropHead,
                        placeholderInitialization: placeholderInitialization, rng: &rng)
    }

    /// Decodes the metadata JSON, accepting the "inf"/"nan" strings the encoder writes.
    public static var jsonDecoder: JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// Names under these prefixes are training state, not model state.
    static func isExtra(_ name: String) -> Bool {
        name.hasPrefix("optimizer.") || name.hasPrefix("best.") || name.hasPrefix(sourceHeadPrefix)
    }
}

/// A checkpoint that cannot be used, with the file named.
public struct CheckpointError: Error, CustomStringConvertible, LocalizedError {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
    public var errorDescription: String? { description }
}

/// One epoch's figures as recorded in a checkpoint: short keys, so a long run adds little
/// metadata (about 55 bytes per epoch, 100 with validation figures).
public struct EpochRecord: Codable, Sendable, Equatable {
    /// Epoch, 1-based.
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    /// Wall-clock seconds the epoch took.
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case epoch = "e", trainLoss = "tl", trainAccuracy = "ta", validationLoss = "vl", validationAccuracy = "va", seconds = "s"
    }

    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, validationLoss: Double? = nil,
                validationAccuracy: Double? = nil, seconds: Double = 0) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.validationLoss = validationLoss
        self.validationAccuracy = validationAccuracy
        self.seconds = seconds
    }
}

/// A block released by gradual unfreezing and the first epoch (1-based) it trained in.
public struct BlockRelease: Sendable, Equatable, Codable {
    public var block: Int
    public var epoch: Int
    public init(block: Int, epoch: Int) { self.block = block; self.epoch = epoch }
}
