import Foundation

/// BERT's uncased `BasicTokenizer`, reproduced rule for rule:
/// 1. clean: drop U+0000, U+FFFD and control characters (categories C*, except \t \n \r);
///    map whitespace (space, \t, \n, \r, category Zs) to a space;
/// 2. surround CJK ideographs with spaces;
/// 3. split on whitespace; lowercase each word, strip accents (NFD, drop Mn marks);
/// 4. split punctuation off as separate tokens (ASCII 33–47, 58–64, 91–96, 123–126 and
///    categories P*).
/// Works on Unicode scalars, as Python's `str` does, not on grapheme clusters.
public enum BasicTokenizer {
    public static func tokenize(_ text: String, lowercase: Bool = true) -> [String] {
        var cleaned = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            let v = s.value
            if v == 0 || v == 0xFFFD || isControl(s) { continue }
            if isWhitespace(s) { cleaned.append(" ") }
            else if isChinese(v) { cleaned.append(" "); cleaned.append(s); cleaned.append(" ") }
            else { cleaned.append(s) }
        }
        var out: [String] = []
        for word in splitOnWhitespace(String(cleaned)) {
            var w = word
            if lowercase {
                w = stripAccents(pythonLowercased(w))
            }
            out.append(contentsOf: splitOnPunctuation(w))
        }
        return out
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        if s == " " || s == "\t" || s == "\n" || s == "\r" { return true }
        return s.properties.generalCategory == .spaceSeparator
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT treats as single-character words.
    static func isChinese(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }

    /// Python's `str.split()` separators that can survive cleaning (space and U+2028/U+2029 and
    /// other Unicode whitespace that is not in C*).
    static func isSplitSpace(_ s: Unicode.Scalar) -> Bool {
        s == " " || s.properties.isWhitespace
    }

    static func splitOnWhitespace(_ text: String) -> [String] {
        var out: [String] = []
        var cur = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if isSplitSpace(s) {
                if !cur.isEmpty { out.append(String(cur)); cur = String.UnicodeScalarView() }
            } else {
                cur.append(s)
            }
        }
        if !cur.isEmpty { out.append(String(cur)) }
        return out
    }

    /// Python's `str.lower()`: the full Unicode lowercase mapping per scalar, plus the
    /// context-dependent Final_Sigma rule (Σ → ς at the end of a word), which Swift's
    /// `lowercased()` does not apply.
    /// Linear in the text's length: scalars are collected in an array and made a `String` once
    /// (appending to a `String.UnicodeScalarView` was quadratic: a 1M-character word took over
    /// a minute); ASCII takes a fast path.
    static func pythonLowercased(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count)
        for (i, s) in scalars.enumerated() {
            if s.isASCII {
                out.append((65...90).contains(s.value) ? Unicode.Scalar(UInt8(s.value + 32)) : s)
                continue
            }
            guard s.value == 0x03A3 else { out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars); continue }
            // Each run of case-ignorable scalars is scanned at most twice (from the sigmas on
            // either side), so this stays linear too.
            var j = i - 1
            while j >= 0 && scalars[j].properties.isCaseIgnorable { j -= 1 }
            let precededByCased = j >= 0 && scalars[j].properties.isCased
            var k = i + 1
            while k < scalars.count && scalars[k].properties.isCaseIgnorable { k += 1 }
            let followedByCased = k < scalars.count && scalars[k].properties.isCased
            out.append(precededByCased && !followedByCased ? "\u{03C2}" : "\u{03C3}")
        }
        return string(out)
    }

    /// A `String` of `scalars`, built in one go (appending scalar by scalar to a `String` or
    /// its scalar view is superlinear for non-ASCII text).
    static func string(_ scalars: [Unicode.Scalar]) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// NFD, then drop nonspacing marks. Foundation's NFD is superlinear on long inputs, so a
    /// long word is decomposed in chunks of about 64 scalars, cut only before a starter whose
    /// own decomposition begins with a starter: canonical reordering never crosses such a
    /// scalar, so the chunks' NFDs concatenate to the whole word's NFD.
    static func stripAccents(_ text: String) -> String {
        var out: [Unicode.Scalar] = []
        func flush(_ chunk: inout [Unicode.Scalar]) {
            for s in string(chunk).decomposedStringWithCanonicalMapping.unicodeScalars
            where s.properties.generalCategory != .nonspacingMark {
                out.append(s)
            }
            chunk.removeAll(keepingCapacity: true)
        }
        var chunk: [Unicode.Scalar] = []
        for s in text.unicodeScalars {
            if chunk.count >= 64 && isSafeCut(s) { flush(&chunk) }
            chunk.append(s)
        }
        flush(&chunk)
        return string(out)
    }

    /// Whether NFD may be split before `s` (see `stripAccents`).
    static func isSafeCut(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return true }
        guard s.properties.canonicalCombiningClass == .notReordered,
              let first = String(s).decomposedStringWithCanonicalMapping.unicodeScalars.first else { return false }
        return first.properties.canonicalCombiningClass == .notReordered
    }

    static func splitOnPunctuation(_ word: String) -> [String] {
        var out: [String] = []
        var cur = String.UnicodeScalarView()
        for s in word.unicodeScalars {
            if isPunctuation(s) {
                if !cur.isEmpty { out.append(String(cur)); cur = String.UnicodeScalarView() }
                out.append(String(s))
            } else {
                cur.append(s)
            }
        }
        if !cur.isEmpty { out.append(String(cur)) }
        return out
    }
}
