/// Levenshtein distance (insertions, deletions and substitutions each cost 1), two-row DP.
/// The one implementation behind every "did you mean" in tl: selector errors here, spec and
/// data-argument errors in TLTransfer, unknown options and commands in TLCLI.
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

/// The candidate closest to `word` by `editDistance`, when it is close enough to be a likely
/// typo (at most 2 edits, or a third of the word's length); nil otherwise.
public func nearestCandidate(to word: String, in candidates: some Collection<String>) -> String? {
    let scored = candidates.map { ($0, editDistance(word, $0)) }.min { $0.1 < $1.1 }
    guard let (best, distance) = scored, distance <= max(2, word.count / 3) else { return nil }
    return best
}
