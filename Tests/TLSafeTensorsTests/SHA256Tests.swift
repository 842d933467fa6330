import Foundation
import Testing
import TLSafeTensors

@Suite struct SHA256Tests {
    /// FIPS 180-4 example vectors, and any length against the system's sha256sum.
    @Test func matchesTheStandardAndTheSystemTool() throws {
        #expect(SHA256.hex(of: Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(of: Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(of: Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var generator = SystemRandomNumberGenerator()
        for length in [55, 64, 119, 1000, 70_001] {
            let data = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let url = folder.appendingPathComponent("bytes-\(length)")
            try data.write(to: url)
            guard let system = runProcess("/usr/bin/env", ["sha256sum", url.path]) else { Issue.record("sha256sum not available"); return }
            #expect(try SHA256.hex(ofFile: url) == String(system.stdout.prefix(64)), "length \(length)")
            // Fed in uneven pieces: the same digest.
            var pieces = SHA256()
            var offset = 0
            for size in [1, 63, 65, 7, 1000] where offset < length {
                let end = min(length, offset + size)
                pieces.update(data[offset..<end])
                offset = end
            }
            if offset < length { pieces.update(data[offset...]) }
            #expect(pieces.finalHex() == String(system.stdout.prefix(64)))
        }
    }
}
