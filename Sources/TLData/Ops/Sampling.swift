import TLTensor

extension Dataset {
    /// The samples in a seeded random order (Fisher–Yates driven by `SeededGenerator`).
    public func shuffled(seed: UInt64) -> Dataset {
        var rng = SeededGenerator(seed: seed)
        return shuffled(using: &rng)
    }

    /// The samples in a random order drawn from `rng`.
    public func shuffled(using rng: inout SeededGenerator) -> Dataset {
        var order = Array(0..<count)
        order.seededShuffle(using: &rng)
        return subset(order)
    }

    /// Indices of the samples of each class, in data set order.
    func indicesByClass() -> [[Int]] {
        var byClass = [[Int]](repeating: [], count: classCount)
        for (i, l) in labels.enumerated() { byClass[l].append(i) }
        return byClass
    }

    /// A stratified split: each class contributes `round(fraction × its count)` samples to the
    /// validation set (at least one when the class has two or more samples), chosen at random
    /// with `seed`. Both halves keep class names and are shuffled.
    public func stratifiedSplit(validationFraction: Double, seed: UInt64) throws -> (train: Dataset, validation: Dataset) {
        guard validationFraction > 0, validationFraction < 1 else {
            throw DataError(reason: "validation fraction must be in (0, 1), got \(validationFraction)")
        }
        var rng = SeededGenerator(seed: seed)
        var train: [Int] = [], validation: [Int] = []
        for var idx in indicesByClass() {
            idx.seededShuffle(using: &rng)
            var k = Int((Double(idx.count) * validationFraction).rounded())
            if idx.count >= 2 { k = min(max(k, 1), idx.count - 1) } else { k = 0 }
            validation.append(contentsOf: idx[0..<k])
            train.append(contentsOf: idx[k...])
        }
        train.seededShuffle(using: &rng)
        validation.seededShuffle(using: &rng)
        var t = subset(train), v = subset(validation)
        t.source = source + " [train split]"
        v.source = source + " [validation split]"
        return (t, v)
    }

    /// A few-shot subset: `perClass` samples from each class, drawn with `seed`, grouped in class
    /// order. Throws when a class has fewer samples than asked for.
    public func fewShot(perClass: Int, seed: UInt64) throws -> Dataset {
        var d = subset(try fewShotIndices(perClass: perClass, seed: seed))
        d.source = source + " [\(perClass)-shot]"
        return d
    }

    /// The indices `fewShot(perClass:seed:)` selects, so callers can also use the complement
    /// (e.g. as a test set that shares no sample with the few-shot training set).
    public func fewShotIndices(perClass: Int, seed: UInt64) throws -> [Int] {
        guard perClass > 0 else { throw DataError(reason: "few-shot count per class must be positive, got \(perClass)") }
        return try fewShotIndices(counts: [Int](repeating: perClass, count: classCount), seed: seed)
    }

    /// Like `fewShotIndices(perClass:seed:)` with one count per class (an imbalanced draw,
    /// e.g. 50 of some classes and 5 of others); equal counts draw exactly the same samples.
    public func fewShotIndices(counts: [Int], seed: UInt64) throws -> [Int] {
        guard counts.count == classCount else {
            throw DataError(file: source, reason: "\(counts.count) per-class counts for \(classCount) classes (\(classNames.joined(separator: ",")))")
        }
        guard counts.allSatisfy({ $0 > 0 }) else { throw DataError(reason: "few-shot counts per class must be positive, got \(counts)") }
        var rng = SeededGenerator(seed: seed)
        var chosen: [Int] = []
        for (cls, var idx) in indicesByClass().enumerated() {
            let perClass = counts[cls]
            guard idx.count >= perClass else {
                throw DataError(file: source, reason: "class \"\(classNames[cls])\" has \(idx.count) samples, fewer than the \(perClass) requested")
            }
            idx.seededShuffle(using: &rng)
            chosen.append(contentsOf: idx.prefix(perClass))
        }
        return chosen
    }

    /// Only the samples of `classes` (original label indices), relabelled `0 ..< classes.count`
    /// in the order given, keeping their class names (e.g. classes 5…9 become labels 0…4 named "5"…"9").
    public func selectingClasses(_ classes: [Int]) throws -> Dataset {
        guard !classes.isEmpty else { throw DataError(reason: "no classes selected") }
        var newLabel = [Int](repeating: -1, count: classCount)
        for (k, c) in classes.enumerated() {
            guard c >= 0 && c < classCount else { throw DataError(file: source, reason: "class \(c) out of range 0..<\(classCount)") }
            guard newLabel[c] < 0 else { throw DataError(reason: "class \(c) selected twice") }
            newLabel[c] = k
        }
        let keep = labels.indices.filter { newLabel[labels[$0]] >= 0 }
        var d = subset(keep)
        d.labels = keep.map { newLabel[labels[$0]] }
        d.classNames = classes.map { classNames[$0] }
        d.source = source + " [classes \(classes.map(String.init).joined(separator: ","))]"
        return d
    }

    /// Only the samples of the classes named `names`, relabelled in the order given.
    public func selectingClasses(named names: [String]) throws -> Dataset {
        let idx = try names.map { n in
            guard let i = classNames.firstIndex(of: n) else {
                throw DataError(file: source, reason: "no class named \"\(n)\" (have \(classNames.joined(separator: ", ")))")
            }
            return i
        }
        return try selectingClasses(idx)
    }

    /// The first `n` samples (or all when fewer).
    public func prefix(_ n: Int) -> Dataset { subset(Array(0..<min(max(n, 0), count))) }
}
