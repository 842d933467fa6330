/// Levenshtein distance (insertions, deletions and substitutions each cost 1), two-row DP.
/// The one implementation behind every "did you mean" in tl: selector errors here, spec and
/// data-argument errors in TLTransfer (both through `nearestWord`), unknown options and commands in TLCLI.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = Swift.min(substitution, previous[j] + 1, current[j - 1] + 1)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

/// The candidate closest to `word` by edit distance when it is a plausible typo (about one edit
/// per three characters, at least 2); ties go to the alphabetically first candidate.
public func nearestWord(to word: String, in candidates: some Collection<String>) -> String? {
    let scored = candidates.sorted().map { ($0, editDistance(word, $0)) }.min { $0.1 < $1.1 }
    guard let (best, distance) = scored, distance <= max(2, word.count / 3) else { return nil }
    return best
}
