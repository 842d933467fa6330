import Foundation
import TLData

/// JPEG decode + antialiased resize to 224×224 RGB, images per second on the calling thread
/// (best of `reps` passes over every `DIR/*.jpg`), and per-image agreement with PIL's full
/// decode when `Scripts/jpeg-reference.py bench DIR` has written `DIR/.pil/<name>.ppm`.
func runJPEGBench(dir: String, reps: Int, json: Bool) {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
        .filter { $0.lowercased().hasSuffix(".jpg") || $0.lowercased().hasSuffix(".jpeg") }.sorted()
    guard !names.isEmpty else { fail("--jpeg: no .jpg files in \(dir)") }
    var blobs: [[UInt8]] = []
    for n in names {
        guard let d = FileManager.default.contents(atPath: dir + "/" + n) else { fail("cannot read \(dir)/\(n)") }
        blobs.append([UInt8](d))
    }
    var rows: [[String: Any]] = []
    for (n, b) in zip(names, blobs) {
        guard let ours = try? JPEG.decode8(b, file: n) else { fail("\(n): decode failed") }
        var row: [String: Any] = ["image": n, "size": "\(ours.width)x\(ours.height)"]
        let ref = dir + "/.pil/" + (n as NSString).deletingPathExtension + ".ppm"
        if let pil = try? Image.read(ref), pil.pixels.count == ours.pixels.count, ours.channels == 3 {
            var sum = 0.0, mx = 0
            for i in ours.pixels.indices {
                let d = abs(Int(ours.pixels[i]) - Int((pil.pixels[i] * 255).rounded()))
                sum += Double(d); mx = max(mx, d)
            }
            row["mean_abs_diff"] = sum / Double(ours.pixels.count)
            row["max_abs_diff"] = mx
        }
        rows.append(row)
    }
    var best = Double.infinity
    for _ in 0..<reps {
        let start = DispatchTime.now().uptimeNanoseconds
        for b in blobs {
            guard let img = try? JPEG.decode(b) else { fail("decode failed") }
            let p = ImagePreparation(height: 224, width: 224, channels: 3, fit: .stretch).apply(img)
            precondition(p.pixels.count == 224 * 224 * 3)
        }
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    let rate = Double(blobs.count) / best
    if json {
        let obj: [String: Any] = ["decoder": "tl", "images": blobs.count, "images_per_s": (rate * 100).rounded() / 100, "agreement": rows]
        if let d = try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]) { print(String(decoding: d, as: UTF8.self)) }
    } else {
        for r in rows {
            let mad = (r["mean_abs_diff"] as? Double).map { String(format: "mean |diff| %.4f, max %d", $0, r["max_abs_diff"] as? Int ?? 0) } ?? "no PIL reference"
            print("\(r["image"]!) \(r["size"]!): \(mad)")
        }
        print(String(format: "tl: %.2f images/s (decode + resize to 224x224, one thread, best of %d)", rate, reps))
    }
}
