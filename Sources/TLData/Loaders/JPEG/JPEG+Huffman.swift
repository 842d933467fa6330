/// Tables shared by the JPEG decoder.
enum JPEGTables {
    /// `zigzag[k]` = natural (row-major) index of the k-th coefficient in zig-zag order; entries
    /// past 63 absorb corrupt run lengths.
    static let zigzag: [Int] = [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
        28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
        54, 47, 55, 62, 63,
    ]
}

/// A canonical Huffman table with a 9-bit lookup for short codes (a class: passed per block
/// without copying its arrays).
final class HuffmanTable {
    static let lookupBits = 9
    /// `length << 8 | symbol` for codes of at most `lookupBits` bits, 0 otherwise.
    let lookup: [UInt16]
    /// Largest code of each length (-1 when none), the first code and its symbol index.
    let maxCode: [Int]
    let minCode: [Int]
    let valueIndex: [Int]
    let symbols: [UInt8]

    /// nil when the code lengths are over-subscribed.
    init?(counts: [Int], symbols: [UInt8]) {
        var lookup = [UInt16](repeating: 0, count: 1 << Self.lookupBits)
        var maxCode = [Int](repeating: -1, count: 18)
        var minCode = [Int](repeating: 0, count: 17)
        var valueIndex = [Int](repeating: 0, count: 17)
        var code = 0, k = 0
        for len in 1...16 {
            let n = counts[len - 1]
            valueIndex[len] = k
            minCode[len] = code
            for _ in 0..<n {
                // Over-subscribed lengths: refuse before the code indexes past the lookup table
                // (found by the jpeg fuzz target: a trap).
                guard code < 1 << len, k < symbols.count else { return nil }
                if len <= Self.lookupBits {
                    let shift = Self.lookupBits - len
                    for fill in 0..<(1 << shift) { lookup[(code << shift) | fill] = UInt16(len << 8) | UInt16(symbols[k]) }
                }
                code += 1; k += 1
            }
            if n > 0 { maxCode[len] = code - 1 }
            guard code <= 1 << len else { return nil }
            code <<= 1
        }
        maxCode[17] = Int.max
        self.lookup = lookup; self.maxCode = maxCode; self.minCode = minCode; self.valueIndex = valueIndex; self.symbols = symbols
    }
}

/// Reads the entropy-coded bits of one scan, un-stuffing `FF 00` and stopping at markers.
struct JPEGBitReader {
    var pos: Int
    var acc: UInt64 = 0
    var bits = 0
    /// Set when a marker (or the end of the file) was reached; zeros are fed from then on.
    var atMarker = false
    var hitEnd = false

    init(pos: Int) { self.pos = pos }

    @inline(__always)
    mutating func fill(_ b: UnsafeBufferPointer<UInt8>) {
        while bits <= 56 {
            var byte: UInt64 = 0
            if !atMarker {
                if pos >= b.count {
                    atMarker = true; hitEnd = true
                } else if b[pos] == 0xFF {
                    if pos + 1 < b.count && b[pos + 1] == 0 { byte = 0xFF; pos += 2 } else { atMarker = true }
                } else {
                    byte = UInt64(b[pos]); pos += 1
                }
            }
            acc |= byte << UInt64(56 - bits)
            bits += 8
        }
    }

    @inline(__always)
    mutating func consume(_ n: Int) { acc <<= UInt64(n); bits -= n }

    @inline(__always)
    mutating func decode(_ t: HuffmanTable, _ b: UnsafeBufferPointer<UInt8>) -> Int? {
        if bits < 16 { fill(b) }
        let e = t.lookup[Int(acc >> UInt64(64 - HuffmanTable.lookupBits))]
        if e != 0 { consume(Int(e >> 8)); return Int(e & 0xFF) }
        for len in (HuffmanTable.lookupBits + 1)...16 {
            let code = Int(acc >> UInt64(64 - len))
            if code <= t.maxCode[len] {
                consume(len)
                let i = t.valueIndex[len] + code - t.minCode[len]
                return i < t.symbols.count ? Int(t.symbols[i]) : nil
            }
        }
        return nil
    }

    /// `n` raw bits (n ≤ 16) as an unsigned value.
    @inline(__always)
    mutating func receive(_ n: Int, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        if n == 0 { return 0 }
        if bits < n { fill(b) }
        let v = Int(acc >> UInt64(64 - n))
        consume(n)
        return v
    }

    /// `n` bits as a signed JPEG magnitude (the EXTEND procedure of T.81 F.2.2.1).
    @inline(__always)
    mutating func receiveExtend(_ n: Int, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        if n == 0 { return 0 }
        let v = receive(n, b)
        return v < 1 << (n - 1) ? v - (1 << n) + 1 : v
    }

    @inline(__always)
    mutating func bit(_ b: UnsafeBufferPointer<UInt8>) -> Bool { receive(1, b) == 1 }

    /// Skips to the byte after a restart marker; false when the next marker is not RSTn.
    mutating func restart(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        acc = 0; bits = 0
        // Skip to the marker (data after the last whole byte is padding).
        while pos < b.count && !(b[pos] == 0xFF && pos + 1 < b.count && b[pos + 1] != 0) { pos += b[pos] == 0xFF ? 2 : 1 }
        while pos + 1 < b.count && b[pos] == 0xFF && b[pos + 1] == 0xFF { pos += 1 }
        guard pos + 1 < b.count, (0xD0...0xD7).contains(b[pos + 1]) else { return false }
        pos += 2
        atMarker = false
        return true
    }
}
