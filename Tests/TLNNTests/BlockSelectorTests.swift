import Testing
import Foundation
@testable import TLNN

/// The block-selector grammar of `--freeze`: parsed once into a typed value, resolved
/// against a model's block count, stored as JSON (and read back from the old text form).
@Suite struct BlockSelectorTests {
    /// (text, blocks selected on a 5-block model: 0…3 plus the head 4)
    let forms: [(String, [Int])] = [
        ("0..3", [0, 1, 2, 3]), ("0...3", [0, 1, 2, 3]), ("0..<4", [0, 1, 2, 3]), ("2", [2]), ("1,3", [1, 3]),
        ("none", []), ("all", [0, 1, 2, 3, 4]), ("all-but-head", [0, 1, 2, 3]), ("head", [4]),
        ("head-2..head-1", [2, 3]), ("2..", [2, 3, 4]), ("..1", [0, 1]), ("..<head", [0, 1, 2, 3]),
        ("head-1..", [3, 4]), (" 0 , 4 ", [0, 4]), ("1..head-1", [1, 2, 3]), ("0..<head-1", [0, 1, 2]),
    ]

    @Test func everyFormResolvesAndRoundTripsThroughItsText() throws {
        for (text, expected) in forms {
            let selector = try BlockSelector.parse(text)
            #expect(try selector.resolve(blockCount: 5) == expected, "\(text)")
            #expect(try BlockSelector.parse(selector.description) == selector, "\(text) → \(selector)")
        }
        #expect(try BlockSelector.parse("0...3") == BlockSelector.parse("0..<4"))
        #expect(try BlockSelector.parse("0..head-1") == .allButHead && BlockSelector.allButHead.description == "all-but-head")
    }

    @Test func headRelativeFormsFollowTheModel() throws {
        let s = try BlockSelector.parse("head-2..head-1")
        #expect(try s.resolve(blockCount: 3) == [0, 1])
        #expect(try s.resolve(blockCount: 8) == [5, 6])
    }

    @Test func malformedTextIsRejectedWhenParsed() {
        for text in ["3..1", "..<0", "x", "1..2..3", "", "head-1..head-3", "-1", "1.5", "head+1", "0..<", "1,,2"] {
            #expect(throws: ModuleError.invalidSelector(text), "\(text)") { try BlockSelector.parse(text) }
        }
    }

    @Test func rangesOutsideTheModelAreRejectedWhenResolved() throws {
        for text in ["7..", "0..7", "5", "head-9", "head-5..head-1"] {
            #expect(throws: ModuleError.self, "\(text)") { try BlockSelector.parse(text).resolve(blockCount: 5) }
        }
        // A head-relative range that is empty on a small model.
        #expect(throws: ModuleError.blockOutOfRange(requested: "2..head-1", blockCount: 3)) {
            try BlockSelector.parse("2..head-1").resolve(blockCount: 3)
        }
    }

    @Test func storedAsJSONAndTheOldTextFormStillDecodes() throws {
        let selector = try BlockSelector.parse("1,head-2..head")
        let json = String(decoding: try JSONEncoder().encode([selector]), as: UTF8.self)
        #expect(json.contains("\"from\":1") && json.contains("\"through\":\"head\""), "\(json)")
        #expect(try JSONDecoder().decode([BlockSelector].self, from: Data(json.utf8)) == [selector])
        let legacy = try JSONDecoder().decode([BlockSelector].self, from: Data(#"["0..1", "all-but-head"]"#.utf8))
        #expect(legacy == [.blocks(0, through: 1), .allButHead])
        #expect(throws: (any Error).self) { try JSONDecoder().decode([BlockSelector].self, from: Data(#"["3..1"]"#.utf8)) }
    }

    @Test func parameterSelectorUsesTheSameGrammarForAbsoluteRanges() throws {
        #expect(try ParameterSelector.parse("0...2") == .blocks(from: 0, through: 2))
        #expect(try ParameterSelector.parse("1..") == .blocks(from: 1, through: nil))
        #expect(try ParameterSelector.parse("blocks.1") == .pattern("blocks.1"))
    }
}
