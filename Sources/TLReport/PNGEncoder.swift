import Foundation
import TLData

/// A minimal PNG writer for report thumbnails: 8-bit grayscale or RGB, one IDAT chunk whose
/// zlib stream uses stored (uncompressed) deflate blocks. Small images only; the point is a
/// valid file with no dependency, not compression.
public enum PNGEncoder {
    public enum EncodeError: Error, CustomStringConvertible {
        case badSize(width: Int, height: Int, channels: Int, bytes: Int)
        public var description: String {
            switch self {
            case let .badSize(w, h, c, n): return "PNG: \(w)x\(h)x\(c) needs \(w * h * c) bytes, got \(n)"
            }
        }
    }

    /// Encodes `pixels` (row-major, `channels` = 1 gray or 3 RGB bytes per pixel).
    public static func encode(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws -> [UInt8] {
        guard width > 0, height > 0, channels == 1 || channels == 3, pixels.count == width * height * channels else {
            throw EncodeError.badSize(width: width, height: height, channels: channels, bytes: pixels.count)
        }
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (width * channels + 1))
        let stride = width * channels
        for y in 0..<height {
            raw.append(0)   // filter: none
            raw += pixels[(y * stride)..<((y + 1) * stride)]
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header += bigEndian(UInt32(width))
        header += bigEndian(UInt32(height))
        header += [8, channels == 1 ? 0 : 2, 0, 0, 0]   // depth 8, gray or truecolour, deflate, adaptive filters, no interlace
        chunk("IHDR", header, into: &png)
        chunk("IDAT", zlibStored(raw), into: &png)
        chunk("IEND", [], into: &png)
        return png
    }

    /// A `data:image/png;base64,…` URI of the encoded image.
    public static func dataURI(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws -> String {
        "data:image/png;base64," + Data(try encode(width: width, height: height, channels: channels, pixels: pixels)).base64EncodedString()
    }

    /// A zlib stream of stored deflate blocks (≤ 65,535 bytes each) with its Adler-32.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var start = 0
        repeat {
            let n = min(65_535, data.count - start)
            let last: UInt8 = start + n >= data.count ? 1 : 0
            out.append(last)   // BFINAL, BTYPE = 00 (stored)
            out += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[start..<(start + n)]
            start += n
        } while start < data.count
        out += bigEndian(Adler32.checksum(data))
        return out
    }

    static func chunk(_ type: String, _ body: [UInt8], into png: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        png += bigEndian(UInt32(body.count))
        png += typeBytes
        png += body
        png += bigEndian(CRC32.checksum(typeBytes + body))
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
}
