import Foundation

/// Builders for hostile files (decompression bombs, huge images, broken zip archives) and a
/// runner that executes the real `tl` under a 4 GB address-space limit and a time limit.
enum Hostile {
    /// Runs `tl words` under `ulimit -v 4 GB` and `timeout 120`: an unchecked allocation fails
    /// (a trap, not a message), a hang fails by timeout (status 124).
    static func run(_ words: [String], environment: [String: String] = [:]) -> ProcessResult? {
        guard let tl = tlExecutablePath, FileManager.default.isExecutableFile(atPath: "/usr/bin/timeout") else { return nil }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "TL_MEMORY_LIMIT_MB")
        for (k, v) in environment { env[k] = v }
        return runProcess("/bin/bash", ["-c", "ulimit -v 4194304 && exec /usr/bin/timeout 120 \"$0\" \"$@\"", tl] + words, environment: env)
    }

    /// Raw DEFLATE (one fixed-Huffman block) that inflates to about `size` zero bytes: a literal 0
    /// then matches of length 258 at distance 1, 13 bits each (about 1:1270).
    static func deflatedZeros(_ size: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size / 158 + 16)
        var acc: UInt64 = 0, bits = 0
        func put(_ value: UInt64, _ count: Int) {   // LSB-first
            acc |= value << UInt64(bits); bits += count
            while bits >= 8 { out.append(UInt8(acc & 0xFF)); acc >>= 8; bits -= 8 }
        }
        func code(_ value: UInt64, _ count: Int) {   // Huffman codes are sent MSB-first
            var r: UInt64 = 0
            for i in 0..<count where value >> UInt64(i) & 1 == 1 { r |= 1 << UInt64(count - 1 - i) }
            put(r, count)
        }
        put(1, 1); put(1, 2)          // BFINAL, BTYPE = fixed
        code(0x30, 8)                 // literal 0
        // 258 via code 285 (8 bits 0xC5), distance 1 via code 0 (5 bits): together 13 bits.
        let match = { () -> Void in code(0xC5, 8); code(0, 5) }
        for _ in 0..<(max(0, size - 1) / 258) { match() }
        code(0, 7)                    // end of block
        if bits > 0 { out.append(UInt8(acc & 0xFF)) }
        return out
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var table = [UInt32](repeating: 0, count: 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            table[i] = c
        }
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    static func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func le16(_ v: Int) -> [UInt8] { (0..<2).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func be32(_ v: Int) -> [UInt8] { le32(v).reversed() }

    /// A gzip file of `size` zeros (the trailer's CRC is not computed: a bounded reader stops first).
    static func gzipZeros(_ size: Int) -> [UInt8] {
        [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3] + deflatedZeros(size) + le32(0) + le32(size)
    }

    /// A grey 8-bit PNG claiming `width`×`height`, its IDAT a zlib stream of that many zero rows.
    static func png(width: Int, height: Int) -> [UInt8] {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be32(data.count) + body + be32(Int(crc32(body)))
        }
        let ihdr = be32(width) + be32(height) + [8, 0, 0, 0, 0]
        let idat: [UInt8] = [0x78, 0x01] + deflatedZeros(height * (width + 1)) + [0, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", [])
    }

    /// One zip member: its local header + data, and its central directory record.
    struct ZipMember {
        var name: String
        var data: [UInt8]
        var method = 0
        var size: Int
        var crc: UInt32 = 0
    }

    /// A zip archive of `members`; `centralOffsets` overrides where each central record points
    /// (to make members overlap); `zip64Count` writes a zip64 end record with that entry count.
    static func zip(_ members: [ZipMember], centralOffsets: [Int]? = nil, zip64Count: UInt64? = nil) -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = [], offsets: [Int] = []
        for m in members {
            offsets.append(out.count)
            let name = Array(m.name.utf8)
            out += le32(0x0403_4B50) + le16(20) + le16(0) + le16(m.method) + le32(0) + le32(Int(m.crc))
                + le32(m.data.count) + le32(m.size) + le16(name.count) + le16(0) + name + m.data
        }
        for (i, m) in members.enumerated() {
            let name = Array(m.name.utf8)
            central += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(m.method) + le32(0) + le32(Int(m.crc))
                + le32(m.data.count) + le32(m.size) + le16(name.count) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0)
                + le32(centralOffsets?[i] ?? offsets[i]) + name
        }
        let cdOffset = out.count
        out += central
        if let count = zip64Count {
            let record = out.count
            let c = Int(truncatingIfNeeded: count)
            out += le32(0x0606_4B50) + le32(44) + le32(0) + le16(45) + le16(45) + le32(0) + le32(0)
                + le32(c) + le32(c >> 32) + le32(c) + le32(c >> 32) + le32(central.count) + le32(0) + le32(cdOffset) + le32(0)
            out += le32(0x0706_4B50) + le32(0) + le32(record) + le32(0) + le32(1)
            out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(0xFFFF) + le16(0xFFFF) + le32(-1) + le32(-1) + le16(0)
        } else {
            out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(members.count) + le16(members.count)
                + le32(central.count) + le32(cdOffset) + le16(0)
        }
        return out
    }

    /// An .npy file's bytes: a v1 header for `descr` and `shape` (text as NumPy writes it) + `data`.
    static func npy(descr: String, shape: String, data: [UInt8]) -> [UInt8] {
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        return [0x93] + Array("NUMPY".utf8) + [1, 0] + le16(header.utf8.count) + Array(header.utf8) + data
    }
}
