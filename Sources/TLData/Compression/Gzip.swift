/// gzip (RFC 1952) decoder: all members of a multi-member file are concatenated; every
/// member's header flags (FEXTRA, FNAME, FCOMMENT, FHCRC) are honoured and its CRC-32 and
/// ISIZE trailer are checked.
public enum Gzip {
    /// True when `bytes` starts with the gzip magic number 1f 8b.
    public static func hasMagic(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Decompresses a whole gzip file.
    /// - Parameter limit: the largest total output accepted.
    public static func decompress(_ data: [UInt8], limit: Int = Inflate.defaultLimit) throws -> [UInt8] {
        guard hasMagic(data) else { throw DataError(location: "byte 0", reason: "gzip: bad magic number (expected 1f 8b)") }
        // ISIZE of the last member is a hint for the output size (mod 2^32; capped by ByteSink).
        var hint = 0
        if data.count >= 4 {
            let n = data.count
            hint = Int(UInt32(data[n - 4]) | UInt32(data[n - 3]) << 8 | UInt32(data[n - 2]) << 16 | UInt32(data[n - 1]) << 24)
        }
        let sink = ByteSink(hint: hint, inputSize: data.count, limit: limit)
        try data.withUnsafeBufferPointer { buf in
            var pos = 0
            var member = 0
            while pos < buf.count {
                // Trailing zero padding (as written by some tape tools) is tolerated, like gzip does.
                if member > 0 && buf[pos...].allSatisfy({ $0 == 0 }) { break }
                pos = try decodeMember(buf, at: pos, member: member, into: sink)
                member += 1
            }
        }
        return sink.toArray()
    }

    private static func decodeMember(_ buf: UnsafeBufferPointer<UInt8>, at start: Int, member: Int, into sink: ByteSink) throws -> Int {
        func fail(_ at: Int, _ why: String) -> DataError {
            DataError(location: "byte \(at)", reason: "gzip member \(member + 1): \(why)")
        }
        let n = buf.count
        guard start + 10 <= n else { throw fail(start, "truncated header") }
        guard buf[start] == 0x1f, buf[start + 1] == 0x8b else { throw fail(start, "bad magic number (expected 1f 8b)") }
        guard buf[start + 2] == 8 else { throw fail(start + 2, "unsupported compression method \(buf[start + 2]) (expected 8 = deflate)") }
        let flags = buf[start + 3]
        guard flags & 0xE0 == 0 else { throw fail(start + 3, "reserved header flags set") }
        var pos = start + 10
        if flags & 0x04 != 0 {  // FEXTRA
            guard pos + 2 <= n else { throw fail(pos, "truncated extra field") }
            let xlen = Int(buf[pos]) | Int(buf[pos + 1]) << 8
            pos += 2 + xlen
            guard pos <= n else { throw fail(pos, "truncated extra field") }
        }
        for bit: UInt8 in [0x08, 0x10] where flags & bit != 0 {  // FNAME, FCOMMENT: zero-terminated
            while pos < n && buf[pos] != 0 { pos += 1 }
            guard pos < n else { throw fail(pos, bit == 0x08 ? "unterminated file name" : "unterminated comment") }
            pos += 1
        }
        if flags & 0x02 != 0 {  // FHCRC: low 16 bits of the CRC-32 of the header so far
            guard pos + 2 <= n else { throw fail(pos, "truncated header CRC") }
            let want = UInt16(buf[pos]) | UInt16(buf[pos + 1]) << 8
            let got = UInt16(truncatingIfNeeded: CRC32.update(0, UnsafeBufferPointer(rebasing: buf[start..<pos])))
            guard want == got else { throw fail(pos, "header CRC mismatch") }
            pos += 2
        }
        let outStart = sink.count
        let end: Int
        do {
            end = try Inflate.inflate(buf, from: pos, into: sink)
        } catch let e as DataError {
            throw DataError(location: e.location, reason: "gzip member \(member + 1): " + e.reason)
        }
        guard end + 8 <= n else { throw fail(end, "truncated trailer (CRC32/ISIZE missing)") }
        func le32(_ i: Int) -> UInt32 {
            UInt32(buf[i]) | UInt32(buf[i + 1]) << 8 | UInt32(buf[i + 2]) << 16 | UInt32(buf[i + 3]) << 24
        }
        let crc = CRC32.update(0, UnsafeBufferPointer(start: sink.base + outStart, count: sink.count - outStart))
        guard crc == le32(end) else {
            throw fail(end, "CRC32 mismatch (stored \(hex(le32(end))), computed \(hex(crc)))")
        }
        guard le32(end + 4) == UInt32(truncatingIfNeeded: sink.count - outStart) else {
            throw fail(end + 4, "ISIZE mismatch (stored \(le32(end + 4)), decoded \(sink.count - outStart) bytes)")
        }
        return end + 8
    }
}

/// zlib (RFC 1950) decoder: header check, no preset dictionary, Adler-32 trailer checked.
public enum Zlib {
    public static func decompress(_ data: [UInt8], limit: Int = Inflate.defaultLimit) throws -> [UInt8] {
        guard data.count >= 6 else { throw DataError(location: "byte 0", reason: "zlib: truncated stream (\(data.count) bytes)") }
        let cmf = data[0], flg = data[1]
        guard cmf & 0x0F == 8, cmf >> 4 <= 7 else { throw DataError(location: "byte 0", reason: "zlib: unsupported method/window (CMF \(cmf))") }
        guard (UInt16(cmf) << 8 | UInt16(flg)) % 31 == 0 else { throw DataError(location: "byte 1", reason: "zlib: header check failed") }
        guard flg & 0x20 == 0 else { throw DataError(location: "byte 1", reason: "zlib: preset dictionary not supported") }
        let sink = ByteSink(hint: 0, inputSize: data.count, limit: limit)
        let end = try data.withUnsafeBufferPointer { try Inflate.inflate($0, from: 2, into: sink) }
        guard end + 4 <= data.count else { throw DataError(location: "byte \(end)", reason: "zlib: truncated (Adler-32 missing)") }
        let stored = UInt32(data[end]) << 24 | UInt32(data[end + 1]) << 16 | UInt32(data[end + 2]) << 8 | UInt32(data[end + 3])
        let got = Adler32.update(1, UnsafeBufferPointer(start: sink.base, count: sink.count))
        guard stored == got else { throw DataError(location: "byte \(end)", reason: "zlib: Adler-32 mismatch (stored \(hex(stored)), computed \(hex(got)))") }
        guard end + 4 == data.count else { throw DataError(location: "byte \(end + 4)", reason: "zlib: trailing bytes after stream") }
        return sink.toArray()
    }
}

func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}
