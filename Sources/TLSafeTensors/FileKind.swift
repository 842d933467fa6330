import Foundation
import TLIO

/// What a file given where a safetensors file was expected really is, recognised from its
/// first bytes, so the error can say "a JSON model spec" instead of "header length
/// 7881701915721992827 exceeds the limit".
public enum FileKind: Sendable, Equatable {
    case empty
    /// A folder; `hasConfigJSON` when it holds `config.json` (a Hugging Face model folder).
    case directory(hasConfigJSON: Bool)
    /// A JSON document with a `"blocks"` key: a tl model spec.
    case modelSpecJSON
    /// A JSON document with `model_type` or `architectures`: a Hugging Face `config.json`.
    case modelConfigJSON
    case json
    /// A `torch.save` zip archive (`archive/data.pkl` inside).
    case pytorchZip
    /// A Python pickle (the pre-1.6 `torch.save` format, `pytorch_model.bin`).
    case pickle
    case npz, zip, gzip, npy, png, jpeg
    case text
    /// Nothing recognisable (the safetensors reader's own error stands).
    case unknown

    /// What the file is, as a phrase ("a JSON model spec (it has \"blocks\")").
    public var phrase: String {
        switch self {
        case .empty: return "an empty file"
        case .directory(let hasConfig): return "a folder" + (hasConfig ? " holding config.json (a Hugging Face model folder)" : "")
        case .modelSpecJSON: return "a JSON model spec (it has \"blocks\")"
        case .modelConfigJSON: return "a JSON model configuration (model_type / architectures, like Hugging Face's config.json)"
        case .json: return "a JSON document"
        case .pytorchZip: return "a PyTorch checkpoint (torch.save zip archive)"
        case .pickle: return "a Python pickle (a legacy PyTorch torch.save file?)"
        case .npz: return "a NumPy .npz archive"
        case .zip: return "a zip archive"
        case .gzip: return "a gzip-compressed file"
        case .npy: return "a NumPy .npy array"
        case .png: return "a PNG image"
        case .jpeg: return "a JPEG image"
        case .text: return "a plain text file"
        case .unknown: return "not a recognisable file"
        }
    }

    /// Recognises the file or folder at `url` (never throws; unreadable files are `.unknown`).
    public static func sniff(_ url: URL) -> FileKind {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else { return .unknown }
        if isFolder.boolValue {
            return .directory(hasConfigJSON: FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path))
        }
        // Only regular files are opened: a FIFO would block the read.
        guard case .regular = RegularFile.kind(of: url.path), let handle = try? FileHandle(forReadingFrom: url) else { return .unknown }
        defer { try? handle.close() }
        let prefix: Data
        do { prefix = try handle.read(upToCount: 1 << 16) ?? Data() } catch { return .unknown }   // nil at end of file
        if prefix.isEmpty { return .empty }
        let kind = sniff(prefix: [UInt8](prefix))
        guard kind == .json, prefix.count == 1 << 16 else { return kind }
        // A JSON document larger than the prefix: classify it from the whole text when it is small enough.
        guard let size = try? handle.seekToEnd(), size <= 16 << 20, (try? handle.seek(toOffset: 0)) != nil,
              let all = try? handle.readToEnd() else { return kind }
        return sniff(prefix: [UInt8](all))
    }

    /// Recognises a file from its first bytes (up to 64 KiB; JSON is classified only when complete).
    public static func sniff(prefix b: [UInt8]) -> FileKind {
        func starts(_ magic: [UInt8]) -> Bool { b.count >= magic.count && Array(b.prefix(magic.count)) == magic }
        if b.isEmpty { return .empty }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) {
            let names = String(decoding: b.prefix(4096), as: UTF8.self)
            if names.contains("data.pkl") { return .pytorchZip }
            if names.contains(".npy") { return .npz }
            return .zip
        }
        if b.count >= 2, b[0] == 0x80, (2...5).contains(b[1]) { return .pickle }
        if starts([0x1F, 0x8B]) { return .gzip }
        if starts([0x93] + Array("NUMPY".utf8)) { return .npy }
        if starts([0x89] + Array("PNG".utf8)) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        guard looksLikeText(b) else { return .unknown }
        let body = b.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }
        if body.first == UInt8(ascii: "{") || body.first == UInt8(ascii: "[") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(b)) else {
                return body.first == UInt8(ascii: "{") ? .json : .text
            }
            guard let dict = object as? [String: Any] else { return .json }
            if dict["blocks"] != nil { return .modelSpecJSON }
            if dict["model_type"] != nil || dict["architectures"] != nil { return .modelConfigJSON }
            return .json
        }
        return .text
    }

    /// UTF-8 (a sequence cut by the prefix's end allowed) without NULs or other control bytes
    /// besides tab, newline, carriage return and form feed.
    static func looksLikeText(_ b: [UInt8]) -> Bool {
        if b.contains(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D && $0 != 0x0C }) { return false }
        // The prefix may cut a multi-byte character: allow up to 3 trailing bytes to be dropped.
        return (0...Swift.min(3, b.count - 1)).contains { String(validating: b.dropLast($0), as: UTF8.self) != nil }
    }
}

extension SafeTensorsError {
    /// This error, or — when it is about the very start of the file and the file is
    /// recognisably something else — a `.wrongFileKind` error saying what the file is.
    func recognisingFileKind(at url: URL) -> SafeTensorsError {
        switch kind {
        case .truncated, .headerTooLarge, .invalidJSON, .io: break
        default: return self
        }
        let found = FileKind.sniff(url)
        guard found != .unknown else { return self }
        return SafeTensorsError(path: path, kind: .wrongFileKind(found), problem: "is \(found.phrase), not a safetensors file")
    }
}
