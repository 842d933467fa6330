/// Scan decoding: baseline (sequential) and the four progressive scan kinds (DC first/refine,
/// AC first/refine), interleaved or not, with restart intervals. Coefficients are stored
/// unquantised in zig-zag-free natural order per block.
extension JPEGDecoder {
    mutating func readScan(at: Int) throws {
        let seg = try segment(at)
        guard !components.isEmpty else { throw fail("scan before the frame header", at: at) }
        let n = Int(bytes[seg.lowerBound])
        guard n >= 1, n <= 4, seg.count == 4 + 2 * n else { throw fail("bad scan header", at: at) }
        var scanComponents: [Int] = []
        for i in 0..<n {
            let id = Int(bytes[seg.lowerBound + 1 + 2 * i]), t = bytes[seg.lowerBound + 2 + 2 * i]
            guard let c = components.firstIndex(where: { $0.id == id }) else { throw fail("scan names unknown component \(id)", at: at) }
            components[c].dcTable = Int(t >> 4) & 3
            components[c].acTable = Int(t & 15) & 3
            scanComponents.append(c)
        }
        let p = seg.lowerBound + 1 + 2 * n
        let ss = Int(bytes[p]), se = Int(bytes[p + 1]), ah = Int(bytes[p + 2] >> 4), al = Int(bytes[p + 2] & 15)
        if progressive {
            guard ss <= se, se <= 63, (ss == 0) == (se == 0), ss == 0 || n == 1, al <= 13 else {
                throw fail("bad progressive scan parameters (Ss=\(ss) Se=\(se) Al=\(al))", at: at)
            }
        }
        let spectral = progressive ? (ss, se) : (0, 63)
        for c in scanComponents {
            let needDC = !progressive || (spectral.0 == 0 && ah == 0)
            let needAC = !progressive || spectral.0 > 0
            if needDC && dcTables[components[c].dcTable] == nil { throw fail("scan uses an undefined DC Huffman table", at: at) }
            if needAC && acTables[components[c].acTable] == nil { throw fail("scan uses an undefined AC Huffman table", at: at) }
        }
        pos = seg.upperBound
        try bytes.withUnsafeBufferPointer { b in
            try decodeScan(scanComponents, ss: spectral.0, se: spectral.1, ah: ah, al: al, b)
        }
        scans += 1
    }

    /// Decodes the entropy-coded segment that starts at `pos`; leaves `pos` at the next marker.
    mutating func decodeScan(_ sc: [Int], ss: Int, se: Int, ah: Int, al: Int, _ b: UnsafeBufferPointer<UInt8>) throws {
        var r = JPEGBitReader(pos: pos)
        var eobrun = 0
        let single = sc.count == 1
        let mcuCount = single
            ? components[sc[0]].usedBlocksPerLine * components[sc[0]].usedBlocksPerColumn
            : mcusPerLine * mcusPerColumn
        let kind: Int = !progressive ? 0 : ss == 0 ? (ah == 0 ? 1 : 2) : (ah == 0 ? 3 : 4)
        // Take the coefficient stores out of `components` while decoding (no copy, no overlapping access).
        var stores = sc.map { components[$0].coefficients }
        for c in sc { components[c].coefficients = [] }
        defer { for (i, c) in sc.enumerated() { components[c].coefficients = stores[i] } }
        let dc = sc.map { dcTables[components[$0].dcTable] }, ac = sc.map { acTables[components[$0].acTable] }
        var preds = [Int](repeating: 0, count: sc.count)
        let geometry = sc.map { (h: components[$0].h, v: components[$0].v, perLine: components[$0].blocksPerLine,
                                 usedPerLine: components[$0].usedBlocksPerLine) }
        let file = self.file
        // Natural order of each zig-zag index, padded so corrupt runs past 63 stay in bounds.
        let zigzag = JPEGTables.zigzag + [Int](repeating: 63, count: 80)
        try zigzag.withUnsafeBufferPointer { zzBuffer in
        let zz = zzBuffer.baseAddress!
        for mcu in 0..<mcuCount {
            if restartInterval > 0 && mcu > 0 && mcu % restartInterval == 0 {
                guard r.restart(b) else {
                    throw DataError(file: file, location: "byte \(r.pos)", reason: "corrupt JPEG data (expected a restart marker)")
                }
                eobrun = 0
                for i in preds.indices { preds[i] = 0 }
            }
            for i in sc.indices {
                let g = geometry[i]
                try stores[i].withUnsafeMutableBufferPointer { co in
                    if single {
                        let row = mcu / g.usedPerLine, col = mcu % g.usedPerLine
                        try JPEGDecoder.decodeBlock(co.baseAddress! + (row * g.perLine + col) * 64, kind: kind, ss: ss, se: se, al: al,
                                                    dc: dc[i], ac: ac[i], pred: &preds[i], eobrun: &eobrun, &r, b, file: file, zz: zz)
                    } else {
                        let my = mcu / mcusPerLine, mx = mcu % mcusPerLine
                        for v in 0..<g.v {
                            for h in 0..<g.h {
                                try JPEGDecoder.decodeBlock(co.baseAddress! + ((my * g.v + v) * g.perLine + mx * g.h + h) * 64,
                                                            kind: kind, ss: ss, se: se, al: al, dc: dc[i], ac: ac[i],
                                                            pred: &preds[i], eobrun: &eobrun, &r, b, file: file, zz: zz)
                            }
                        }
                    }
                }
            }
        }
        }
        if r.hitEnd { throw DataError(file: file, reason: "truncated JPEG data (the file ends inside the image data)") }
        pos = r.pos
    }

    /// Decodes one block of one scan kind (0 baseline, 1 DC first, 2 DC refine, 3 AC first, 4 AC refine).
    @inline(__always)
    static func decodeBlock(_ co: UnsafeMutablePointer<Int16>, kind: Int, ss: Int, se: Int, al: Int,
                            dc: HuffmanTable?, ac: HuffmanTable?, pred: inout Int, eobrun: inout Int,
                            _ r: inout JPEGBitReader, _ b: UnsafeBufferPointer<UInt8>, file: String,
                            zz: UnsafePointer<Int>) throws {
        func corrupt(_ what: String = "bad Huffman code") -> DataError {
            DataError(file: file, location: "byte \(r.pos)", reason: "corrupt JPEG data (\(what))")
        }
        switch kind {
        case 0, 1:
            guard let dc, let t = r.decode(dc, b), t <= 16 else { throw corrupt() }
            pred += r.receiveExtend(t, b)
            co[0] = Int16(truncatingIfNeeded: pred << (kind == 1 ? al : 0))
            guard kind == 0, let ac else { return }
            var k = 1
            while k < 64 {
                guard let rs = r.decode(ac, b) else { throw corrupt() }
                let s = rs & 15, run = rs >> 4
                if s == 0 {
                    if run == 15 { k += 16; continue }
                    break
                }
                k += run
                guard k < 64 else { throw corrupt("coefficient index past 63") }
                co[zz[k]] = Int16(truncatingIfNeeded: r.receiveExtend(s, b))
                k += 1
            }
        case 2:
            if r.bit(b) { co[0] |= Int16(truncatingIfNeeded: 1 << al) }
        case 3:
            if eobrun > 0 { eobrun -= 1; return }
            guard let ac else { throw corrupt() }
            var k = ss
            while k <= se {
                guard let rs = r.decode(ac, b) else { throw corrupt() }
                let s = rs & 15, run = rs >> 4
                if s == 0 {
                    if run < 15 { eobrun = (1 << run) - 1 + r.receive(run, b); break }
                    k += 16; continue
                }
                k += run
                guard k < 64 else { throw corrupt("coefficient index past 63") }
                co[zz[k]] = Int16(truncatingIfNeeded: r.receiveExtend(s, b) * (1 << al))
                k += 1
            }
        default:
            let p1 = Int16(truncatingIfNeeded: 1 << al), m1 = Int16(truncatingIfNeeded: -1 << al)
            var k = ss
            if eobrun == 0 {
                guard let ac else { throw corrupt() }
                while k <= se {
                    guard let rs = r.decode(ac, b) else { throw corrupt() }
                    var run = rs >> 4
                    var value: Int16 = 0
                    if rs & 15 != 0 {
                        value = r.bit(b) ? p1 : m1
                    } else if run != 15 {
                        eobrun = (1 << run) + r.receive(run, b)
                        break
                    }
                    while k <= se {
                        let z = zz[k]
                        if co[z] != 0 {
                            if r.bit(b) && co[z] & p1 == 0 { co[z] = co[z] >= 0 ? co[z] &+ p1 : co[z] &+ m1 }
                        } else {
                            run -= 1
                            if run < 0 { break }
                        }
                        k += 1
                    }
                    if value != 0 && k <= 63 { co[zz[k]] = value }
                    k += 1
                }
            }
            if eobrun > 0 {
                while k <= se {
                    let z = zz[k]
                    if co[z] != 0 && r.bit(b) && co[z] & p1 == 0 { co[z] = co[z] >= 0 ? co[z] &+ p1 : co[z] &+ m1 }
                    k += 1
                }
                eobrun -= 1
            }
        }
    }
}
