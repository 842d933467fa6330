import Testing
import Foundation
import TLSafeTensors
@testable import TLCLI

/// `tl finetune` drops its in-memory copy of the source checkpoint before training and reads it
/// back for the frozen-weights check and the report (`LoadedSource`): the values come from the
/// file, and a file replaced during the run is refused with a message naming it.
@Suite struct LoadedSourceTests {
    func writeSource(_ url: URL, values: [Float]) throws {
        let file = SafeTensorsFile(tensors: ["w": try StoredTensor(shape: [values.count], floats: values)], metadata: [:])
        try file.write(to: url)
    }

    @Test func rereadGivesTheFileAndAChangedFileIsRefused() throws {
        let folder = try makeTempFolder()
        let url = folder.appendingPathComponent("source.safetensors")
        try writeSource(url, values: [1, 2, 3])
        let loaded = LoadedSource(url)
        #expect(try loaded.reread().floats("w") == [1, 2, 3])
        // Replaced during the run: another size, then the same size with a later modification time.
        try writeSource(url, values: [1, 2, 3, 4])
        #expect(throws: (any Error).self) { try loaded.reread() }
        do { _ = try loaded.reread() } catch {
            #expect("\(error)".contains(url.path))
            #expect("\(error)".contains("changed during the run"))
            #expect(!"\(error)".contains("\n"))
        }
        let sameSize = LoadedSource(url)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: url.path)
        #expect(throws: (any Error).self) { try sameSize.requireUnchanged(for: "verify the frozen weights") }
    }
}
