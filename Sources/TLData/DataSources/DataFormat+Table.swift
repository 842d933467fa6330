/// The table of data formats: every entry of the `--data` grammar, in help order.
///
/// Adding a format: write its loader (Loaders/), then add one `DataFormat` here with its path
/// forms, options, loader call and help line. Parsing, recording in checkpoints, help and
/// "did you mean" hints follow from the entry.
extension DataFormat {
    public static let all: [DataFormat] = BuiltinDatasets.names.map(builtin) + [idx, csv, npy, npz, folder, text]

    static func builtin(_ name: String) -> DataFormat {
        DataFormat(name: name, pathForms: [], summary: "built-in: " + (BuiltinDatasets.summaries[name] ?? name), options: [invert]) { _ in
            try BuiltinDatasets.load(name: name)
        }
    }

    static let layout = DataOption("layout", .choice(SampleLayout.allCases.map(\.rawValue)), default: "decided by the input rule",
        help: "how sample values are ordered when the model's input shape differs: nhwc = [H, W, C], nchw = [C, H, W] (PyTorch), flat = row-major H·W·C")
    /// Applied by `DataSource.load` after any format's loader.
    static let invert = DataOption("invert", .choice(["yes", "no"]), default: "no",
        help: "invert every value, v → 1 − v (pixels scaled to [0, 1]: 255 − x on bytes), e.g. a constructed domain shift; written after the data set's name: mnist5k,invert=yes")
    static let header = DataOption("header", .choice(["yes", "no", "auto"]), default: "auto",
        help: "whether the first row is a header")
    static let separator = DataOption("sep", .choice(["comma", "tab", "semicolon"]), default: "comma (text: tab when the file has tabs)",
        help: "the field separator")

    static let idx = DataFormat(
        name: "idx", pathForms: [["DIR"], ["IMAGES", "LABELS"]],
        summary: "MNIST-style IDX files (raw or .gz): DIR holding train-/t10k- images and labels, or an image/label file pair",
        options: [DataOption("split", .choice(["train", "test"]), default: "train",
                             help: "which pair of files in DIR", suffixForm: true), invert],
        check: { s in s.paths.count == 2 && s.options["split"] != nil ? "split applies to idx:DIR, not to an explicit file pair" : nil },
        load: { s in
            if s.paths.count == 2 { return try IDXLoader.load(images: s.paths[0], labels: s.paths[1]) }
            let both = try IDXLoader.loadDirectory(s.paths[0])
            return s.options["split"] == "test" ? both.test : both.train
        })

    static let csv = DataFormat(
        name: "csv", pathForms: [["FILE"]],
        summary: "numeric CSV (or .csv.gz), one sample per row with an integer label column",
        options: [
            DataOption("label", .column(ends: true), default: "a header column named label, class or target, else the last column",
                       help: "the label column: first, last, a 1-based number or a header name"),
            header,
            DataOption("shape", .sizes(count: 0), default: "[feature count], fitted to the model by the input rule",
                       help: "the shape of one sample, e.g. 28x28x1"),
            DataOption("scale", .positiveNumber, default: "1", help: "divide every feature value by S, e.g. 255 for 0–255 pixels"),
            separator, layout,
        ],
        load: { s in
            var o = CSVOptions()
            if let v = s.options["label"] { o.labelColumn = v == "first" ? .first : v == "last" ? .last : Int(v).map { .index($0 - 1) } ?? .name(v) }
            if let v = s.options["header"] { o.hasHeader = v == "auto" ? nil : v == "yes" }
            if let v = s.options["shape"] { o.sampleShape = DataOptionValue.sizes(v) }
            if let v = s.options["scale"], let d = Float(v) { o.scale = 1 / d }
            if let v = s.options["sep"] { o.delimiter = delimiter(v) }
            return try CSVLoader.load(s.paths[0], options: o)
        })

    static let npy = DataFormat(
        name: "npy", pathForms: [["X.npy", "Y.npy"]],
        summary: "NumPy arrays: features [N, …] and integer labels [N]", options: [layout],
        load: { s in try NPYLoader.load(features: s.paths[0], labels: s.paths[1]) })

    static let npz = DataFormat(
        name: "npz", pathForms: [["FILE"]],
        summary: "a NumPy .npz archive holding features [N, …] and integer labels [N]",
        options: [DataOption("x", .name, default: "x", help: "the features array in the archive"),
                  DataOption("y", .name, default: "y", help: "the labels array in the archive"), layout],
        load: { s in try NPZ.loadDataset(s.paths[0], featuresKey: s.options["x"] ?? "x", labelsKey: s.options["y"] ?? "y") })

    static let folder = DataFormat(
        name: "folder", pathForms: [["DIR"]],
        summary: "images in DIR/<class>/…/<image>.png|jpg|pgm|ppm of any sizes, class names from the subfolders; other files skipped",
        options: [DataOption("size", .sizes(count: 2), default: "the model's input size (else the first image's)",
                             help: "prepare every image to H×W (antialiased resize)"),
                  DataOption("channels", .choice(["1", "3"]), default: "the model's input channels (else the first image's)",
                             help: "convert every image to 1 (grey, by luma) or 3 (RGB, by replication) channels"),
                  DataOption("fit", .choice(ImagePreparation.Fit.allCases.map(\.rawValue)), default: "crop",
                             help: "crop = keep the aspect ratio and cut the centre, stretch = resize to H×W"), invert],
        load: { s in
            let size = s.options["size"].flatMap(DataOptionValue.sizes).map { (height: $0[0], width: $0[1]) }
            return try ImageFolderLoader.load(s.paths[0], channels: s.options["channels"].flatMap { Int($0) }, size: size,
                                              fit: s.options["fit"].flatMap(ImagePreparation.Fit.init(rawValue:)),
                                              preparation: s.imagePreparation)
        })

    static let text = DataFormat(
        name: "text", pathForms: [["FILE"]],
        summary: "text classification CSV/TSV: a label column and a text column, header and columns detected",
        options: [header,
                  DataOption("label", .column(ends: false), default: "a header column named label/class/…, else the column with fewest distinct values",
                             help: "the label column: a 1-based number or a header name"),
                  DataOption("text", .column(ends: false), default: "a header column named text/sentence/review/…, else the column with the longest values",
                             help: "the text column: a 1-based number or a header name"),
                  separator],
        load: { s in
            func column(_ v: String) -> TextColumn { Int(v).map { .index($0 - 1) } ?? .name(v) }
            var o = TextOptions()
            o.labelColumn = s.options["label"].map(column)
            o.textColumn = s.options["text"].map(column)
            if let v = s.options["header"] { o.hasHeader = v == "auto" ? nil : v == "yes" }
            o.delimiter = s.options["sep"].map(delimiter)
            return try TextClassificationLoader.load(s.paths[0], options: o)
        })

    static func delimiter(_ word: String) -> Character {
        switch word { case "tab": return "\t"; case "semicolon": return ";"; default: return "," }
    }
}
