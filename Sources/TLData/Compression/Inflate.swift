import TLIO

/// DEFLATE (RFC 1951) decoder.
///
/// Design for speed on 10 MB+ inputs:
/// - a 64-bit bit buffer refilled 8 bytes at a time with one unaligned load (the bits above the
///   valid count are always the true next input bits, so repeated ORs are harmless);
/// - table-driven Huffman decoding: one lookup in a 2^10-entry table resolves every code of at
///   most 10 bits (the vast majority); longer codes fall back to a canonical walk;
/// - output written through a raw pointer into a buffer grown by doubling and pre-sized from a
///   caller hint (gzip's ISIZE), so the hot loop does no per-byte capacity checks.
///
/// Malformed streams (bad block type, over-subscribed or incomplete codes, unused codes,
/// distances before the start of output, truncation) throw a `DataError`.
public enum Inflate {
    /// The default most bytes one stream (a gzip file, a zip member) may decompress to: a
    /// quarter of the allocation budget (the bytes usually become 4-byte floats next), so a
    /// decompression bomb stops early with an error instead of filling memory.
    public static var defaultLimit: Int { AllocationBudget.bytes / 4 }

    /// Decompresses a raw DEFLATE stream that must span the whole input (trailing bytes are an error).
    /// - Parameters:
    ///   - expectedSize: a size hint used to pre-size the output (never trusted beyond `limit`).
    ///   - limit: the largest output accepted; larger output throws (protects against bombs).
    public static func decompress(_ data: [UInt8], expectedSize: Int = 0, limit: Int = Inflate.defaultLimit) throws -> [UInt8] {
        let sink = ByteSink(hint: expectedSize, inputSize: data.count, limit: limit)
        let end = try data.withUnsafeBufferPointer { try inflate($0, from: 0, into: sink) }
        if end != data.count {
            throw DataError(location: "byte \(end)", reason: "deflate: \(data.count - end) trailing bytes after the final block")
        }
        return sink.toArray()
    }

    /// Inflates one DEFLATE stream starting at byte `start`, appending to `sink`.
    /// Returns the offset of the first byte after the stream (rounded up to a whole byte).
    static func inflate(_ input: UnsafeBufferPointer<UInt8>, from start: Int, into sink: ByteSink) throws -> Int {
        guard let base = input.baseAddress, start < input.count else {
            throw DataError(location: "byte \(start)", reason: "deflate: stream is empty (truncated)")
        }
        var br = BitReader(p: base, n: input.count, pos: start)
        let streamStart = sink.count
        var final = false
        repeat {
            try br.refill()
            guard br.consumedBits < input.count * 8 else {
                throw DataError(location: "byte \(input.count)", reason: "deflate: truncated stream (missing final block)")
            }
            final = br.take(1) == 1
            let type = br.take(2)
            switch type {
            case 0: try storedBlock(&br, sink)
            case 1: try huffmanBlock(&br, sink, Tables.fixedLit, Tables.fixedDist, streamStart)
            case 2:
                let (lit, dist) = try dynamicTables(&br)
                try huffmanBlock(&br, sink, lit, dist, streamStart)
            default:
                throw DataError(location: "byte \(br.bytePosition)", reason: "deflate: invalid block type 3")
            }
        } while !final
        br.alignToByte()
        if br.consumedBits > input.count * 8 {
            throw DataError(location: "byte \(input.count)", reason: "deflate: truncated stream")
        }
        return br.consumedBits / 8
    }

    private static func storedBlock(_ br: inout BitReader, _ sink: ByteSink) throws {
        br.alignToByte()
        try br.refill()
        let len = Int(br.take(16)), nlen = Int(br.take(16))
        guard br.consumedBits <= br.n * 8 else {
            throw DataError(location: "byte \(br.n)", reason: "deflate: truncated stored block header")
        }
        guard len == (~nlen & 0xFFFF) else {
            throw DataError(location: "byte \(br.bytePosition)", reason: "deflate: stored block length check failed")
        }
        // Rewind the bit buffer to a byte position and copy straight from the input.
        let at = br.bytePosition
        guard br.consumedBits <= br.n * 8, at + len <= br.n else {
            throw DataError(location: "byte \(at)", reason: "deflate: truncated stored block")
        }
        try sink.reserve(len)
        (sink.base + sink.count).update(from: br.p + at, count: len)
        sink.count += len
        br.reset(to: at + len)
    }

    private static func dynamicTables(_ br: inout BitReader) throws -> (Huffman, Huffman) {
        try br.refill()
        let hlit = Int(br.take(5)) + 257, hdist = Int(br.take(5)) + 1, hclen = Int(br.take(4)) + 4
        guard hlit <= 286, hdist <= 30 else {
            throw DataError(location: "byte \(br.bytePosition)", reason: "deflate: too many length or distance codes (\(hlit), \(hdist))")
        }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var clLengths = [UInt8](repeating: 0, count: 19)
        // 19 × 3 = 57 bits can exceed one refill (>= 56 bits), so refill per entry.
        for i in 0..<hclen { try br.refill(); clLengths[order[i]] = UInt8(br.take(3)) }
        let cl = try Huffman(lengths: clLengths, allowIncomplete: false, what: "code-length", at: br.bytePosition)
        var lengths = [UInt8](repeating: 0, count: hlit + hdist)
        var i = 0
        while i < hlit + hdist {
            try br.refill()
            let sym = try cl.decode(&br)
            if sym < 16 { lengths[i] = UInt8(sym); i += 1; continue }
            var value: UInt8 = 0, repeatCount: Int
            switch sym {
            case 16:
                guard i > 0 else { throw DataError(location: "byte \(br.bytePosition)", reason: "deflate: repeat with no previous length") }
                value = lengths[i - 1]; repeatCount = 3 + Int(br.take(2))
            case 17: repeatCount = 3 + Int(br.take(3))
            default: repeatCount = 11 + Int(br.take(7))
            }
            guard i + repeatCount <= hlit + hdist else {
                throw DataError(location: "byte \(br.bytePosition)", reason: "deflate: code lengths overflow the table")
            }
            for k in i..<(i + repeatCount) { lengths[k] = value }
            i += repeatCount
        }
        guard lengths[256] != 0 else {
            throw DataError(location: "byte \(br.bytePosition)", reason: "deflate: missing end-of-block code")
        }
        let lit = try Huffman(lengths: Array(lengths[0..<hlit]), allowIncomplete: true, what: "literal/length", at: br.bytePosition)
        let dist = try Huffman(lengths: Array(lengths[hlit...]), allowIncomplete: true, what: "distance", at: br.bytePosition)
        return (lit, dist)
    }

    private static func huffmanBlock(_ br: inout BitReader, _ sink: ByteSink, _ lit: Huffman, _ dist: Huffman, _ streamStart: Int) throws {
        let mask = UInt64(Huffman.fastSize - 1)
        try lit.fast.withUnsafeBufferPointer { lf in
            try dist.fast.withUnsafeBufferPointer { df in
                try Tables.lengthBase.withUnsafeBufferPointer { lbase in
                    try Tables.distBase.withUnsafeBufferPointer { dbase in
                        var out = sink.base
                        var o = sink.count
                        var cap = sink.capacity
                        defer { sink.count = o }
                        while true {
                            // One refill gives >= 56 bits: enough for a 15-bit length code + 5 extra
                            // bits + a 15-bit distance code + 13 extra bits (48 bits).
                            try br.refill()
                            if o + 258 > cap {
                                sink.count = o
                                try sink.reserve(258)
                                out = sink.base; cap = sink.capacity
                            }
                            var sym: Int
                            let e = Int(lf[Int(br.buf & mask)])
                            if e != 0 { br.drop(e & 15); sym = e >> 4 } else { sym = try lit.decodeSlow(&br) }
                            if sym < 256 {
                                out[o] = UInt8(truncatingIfNeeded: sym); o += 1
                                // Second literal in the same refill when the next code is short.
                                if br.cnt >= 15 {
                                    let e2 = Int(lf[Int(br.buf & mask)])
                                    if e2 != 0 && (e2 >> 4) < 256 {
                                        br.drop(e2 & 15); out[o] = UInt8(truncatingIfNeeded: e2 >> 4); o += 1
                                    }
                                }
                                continue
                            }
                            if sym == 256 { break }
                            sym -= 257
                            guard sym < 29 else {
                                throw DataError(location: "byte \(br.bytePosition)", reason: "deflate: invalid length symbol \(sym + 257)")
                            }
                            let lb = Int(lbase[sym])
                            let length = (lb >> 4) + Int(br.take(lb & 15))
                            let de = Int(df[Int(br.buf & mask)])
                            var dsym: Int
                            if de != 0 { br.drop(de & 15); dsym = de >> 4 } else { dsym = try dist.decodeSlow(&br) }
                            guard dsym < 30 else {
                                throw DataError(location: "byte \(br.bytePosition)", reason: "deflate: invalid distance symbol \(dsym)")
                            }
                            let db = Int(dbase[dsym])
                            let distance = (db >> 4) + Int(br.take(db & 15))
                            guard distance <= o - streamStart else {
                                throw DataError(location: "byte \(br.bytePosition)", reason: "deflate: distance \(distance) too far back (only \(o - streamStart) bytes written)")
                            }
                            let src = out + (o - distance)
                            let dst = out + o
                            if distance >= length {
                                dst.update(from: src, count: length)
                            } else if distance == 1 {
                                dst.update(repeating: src[0], count: length)
                            } else {
                                for k in 0..<length { dst[k] = src[k] }
                            }
                            o += length
                            if o > sink.limit {
                                throw sink.limitError()
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Little-endian bit reader over an input buffer (DEFLATE packs bits LSB-first).
struct BitReader {
    let p: UnsafePointer<UInt8>
    let n: Int
    var pos: Int
    var buf: UInt64 = 0
    var cnt: Int = 0
    /// Zero bytes appended past the end of input; any left unconsumed at the end means truncation.
    var overrun = 0

    init(p: UnsafePointer<UInt8>, n: Int, pos: Int) { self.p = p; self.n = n; self.pos = pos }

    @inline(__always) mutating func refill() throws {
        if pos + 8 <= n {
            let w = UInt64(littleEndian: UnsafeRawPointer(p + pos).loadUnaligned(as: UInt64.self))
            buf |= w << UInt64(cnt)
            pos += (63 - cnt) >> 3
            cnt |= 56
        } else {
            try refillSlow()
        }
    }

    mutating func refillSlow() throws {
        while cnt < 56 {
            if pos < n {
                buf |= UInt64(p[pos]) << UInt64(cnt); pos += 1
            } else {
                overrun += 1
                if overrun > 16 { throw DataError(location: "byte \(n)", reason: "deflate: truncated stream") }
            }
            cnt += 8
        }
    }

    @inline(__always) mutating func drop(_ k: Int) { buf >>= UInt64(k); cnt -= k }

    @inline(__always) mutating func take(_ k: Int) -> UInt64 {
        let v = buf & ((1 << UInt64(k)) &- 1)
        drop(k)
        return v
    }

    var consumedBits: Int { (pos + overrun) * 8 - cnt }
    var bytePosition: Int { consumedBits / 8 }

    mutating func alignToByte() { drop(cnt & 7) }

    mutating func reset(to byte: Int) { pos = byte; buf = 0; cnt = 0; overrun = 0 }
}

/// Growable output buffer written through a raw pointer.
final class ByteSink {
    var base: UnsafeMutablePointer<UInt8>
    var capacity: Int
    var count = 0
    let limit: Int

    init(hint: Int, inputSize: Int, limit: Int) {
        // DEFLATE cannot expand more than ~1032:1, so a hint beyond that is a lie; cap it.
        let guess = hint > 0 ? hint : inputSize * 3
        let plausible = min(max(guess, 1024), inputSize * 1032 + 1024, limit, 1 << 30)
        capacity = max(plausible, 1024)
        base = .allocate(capacity: capacity)
        self.limit = limit
    }

    deinit { base.deallocate() }

    func reserve(_ extra: Int) throws {
        let need = count + extra
        if need <= capacity { return }
        if need > limit + 258 { throw limitError() }
        // Grow by doubling, but never past the limit (a bomb stops at the limit, not twice it).
        let newCap = min(max(need, capacity * 2), limit + 258)
        let nb = UnsafeMutablePointer<UInt8>.allocate(capacity: newCap)
        nb.update(from: base, count: count)
        base.deallocate()
        base = nb
        capacity = newCap
    }

    /// The error for output beyond `limit`: the budget's share, or the size a header declared.
    func limitError() -> DataError {
        let why = limit == Inflate.defaultLimit
            ? "the limit for decompressed data (a quarter of the memory limit, TL_MEMORY_LIMIT_MB)" : "the size the file declares"
        return DataError(reason: "decompressed data exceeds \(formatBytes(limit)), \(why)")
    }

    func toArray() -> [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }
    func toArray(from start: Int) -> [UInt8] { Array(UnsafeBufferPointer(start: base + start, count: count - start)) }
}

/// A canonical Huffman code with a 2^fastBits direct-lookup table and a slow canonical walk.
struct Huffman {
    static let fastBits = 10
    static let fastSize = 1 << fastBits
    /// Entry = symbol << 4 | code length; 0 means "longer than fastBits or unused".
    var fast: [UInt16]
    var count: [Int]
    var symbols: [UInt16]

    /// - Parameter allowIncomplete: accept an incomplete code when it has at most one symbol
    ///   (or always, with `anyIncomplete`, for the fixed distance code whose codes 30–31 are unused).
    init(lengths: [UInt8], allowIncomplete: Bool, anyIncomplete: Bool = false, what: String, at byte: Int) throws {
        count = [Int](repeating: 0, count: 16)
        for l in lengths { count[Int(l)] += 1 }
        count[0] = 0
        var left = 1
        for len in 1...15 {
            left <<= 1
            left -= count[len]
            if left < 0 { throw DataError(location: "byte \(byte)", reason: "deflate: over-subscribed \(what) code") }
        }
        let used = lengths.count - lengths.lazy.filter { $0 == 0 }.count
        // Incomplete codes are only legitimate for a single code (or none), as zlib and puff agree.
        if left > 0 && !anyIncomplete && !(allowIncomplete && used <= 1) {
            throw DataError(location: "byte \(byte)", reason: "deflate: incomplete \(what) code")
        }
        var offs = [Int](repeating: 0, count: 16)
        for len in 1..<15 { offs[len + 1] = offs[len] + count[len] }
        symbols = [UInt16](repeating: 0, count: max(used, 1))
        var next = [Int](repeating: 0, count: 16)
        var code = 0
        for len in 1...15 { code = (code + count[len - 1]) << 1; next[len] = code }
        fast = [UInt16](repeating: 0, count: Huffman.fastSize)
        for (s, l8) in lengths.enumerated() where l8 != 0 {
            let l = Int(l8)
            symbols[offs[l]] = UInt16(s); offs[l] += 1
            let c = next[l]; next[l] += 1
            guard l <= Huffman.fastBits else { continue }
            var rev = 0
            for b in 0..<l where (c >> b) & 1 != 0 { rev |= 1 << (l - 1 - b) }
            var idx = rev
            while idx < Huffman.fastSize {
                fast[idx] = UInt16(s << 4 | l)
                idx += 1 << l
            }
        }
    }

    /// Decodes one symbol (after a refill), using the fast table when possible.
    @inline(__always) func decode(_ br: inout BitReader) throws -> Int {
        let e = Int(fast[Int(br.buf & UInt64(Huffman.fastSize - 1))])
        if e != 0 { br.drop(e & 15); return e >> 4 }
        return try decodeSlow(&br)
    }

    /// Canonical decode one bit at a time (codes longer than fastBits, or invalid codes).
    func decodeSlow(_ br: inout BitReader) throws -> Int {
        var code = 0, first = 0, index = 0
        for len in 1...15 {
            code |= Int((br.buf >> UInt64(len - 1)) & 1)
            let c = count[len]
            if code - first < c {
                br.drop(len)
                return Int(symbols[index + code - first])
            }
            index += c
            first = (first + c) << 1
            code <<= 1
        }
        throw DataError(location: "byte \(br.bytePosition)", reason: "deflate: invalid Huffman code")
    }
}

/// Static DEFLATE tables: base << 4 | extra bits.
enum Tables {
    static let lengthBase: [UInt16] = {
        let base = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
        let extra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        return zip(base, extra).map { UInt16($0 << 4 | $1) }
    }()
    static let distBase: [UInt32] = {
        let base = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                    4097, 6145, 8193, 12289, 16385, 24577]
        let extra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
        return zip(base, extra).map { UInt32($0 << 4 | $1) }
    }()
    static let fixedLit: Huffman = {
        var l = [UInt8](repeating: 8, count: 288)
        for i in 144..<256 { l[i] = 9 }
        for i in 256..<280 { l[i] = 7 }
        return try! Huffman(lengths: l, allowIncomplete: false, what: "fixed", at: 0)
    }()
    // 32 five-bit codes: symbols 30 and 31 are decodable but invalid, and rejected as such.
    static let fixedDist: Huffman = try! Huffman(lengths: [UInt8](repeating: 5, count: 32), allowIncomplete: false, what: "fixed", at: 0)
}
