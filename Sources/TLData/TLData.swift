// TLData: data sets for tl.
//
// - `Dataset`: flat `[Float]` features + `sampleShape` (images channels-last [H, W, C]),
//   integer labels, class names, optional raw texts.
// - Loaders: `IDXLoader`, `CSVLoader`, `NPY`/`NPZ`/`NPYLoader`, `ImageFolderLoader` (PNG, PGM/PPM),
//   `TextClassificationLoader`; `BuiltinDatasets` for the embedded mnist5k/digits.
// - Data arguments: `DataSource` (`csv:train.csv,label=first`) parsed, described, loaded and
//   documented from one table of formats, `DataFormat.all` (DataSources/DataFormat+Table.swift).
//   Loaders record how they read the labels (`Dataset.reading`) for error messages.
// - Decompression in pure Swift: `Inflate` (RFC 1951), `Gzip` (RFC 1952), `Zlib` (RFC 1950).
// - Operations: seeded shuffling, stratified split, few-shot sampling, class subsets,
//   `Normalization`, resize/pad/crop/channels, `Augmentation`, `batches(size:...)`.
// - Text: `SimpleTokenizer` (word/char vocabularies), `BasicTokenizer` + `WordPieceTokenizer` (BERT uncased).
//
// Every malformed input throws a `DataError` whose one-line description names the file, the
// record and the reason; sizes read from headers are checked against the file length first.
