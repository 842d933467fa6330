import Foundation
import Testing
import TLData
@testable import TLModels

/// Checkpoints written before augmentation plans stored `"augment": true|false`.
@Suite struct TrainingSettingsCompatibilityTests {
    func settingsJSON(augment: String) throws -> Data {
        var s = TrainingSettings()
        s.augment = try AugmentationPlan.parse("flip")
        let text = String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
        let old = text.replacingOccurrences(of: #""augment":{"flip":0.5}"#, with: #""augment":"# + augment)
        #expect(old != text, "the encoded plan was not found in \(text)")
        return Data(old.utf8)
    }

    @Test func oldBoolSettingsStillDecode() throws {
        let on = try JSONDecoder().decode(TrainingSettings.self, from: try settingsJSON(augment: "true"))
        #expect(on.augment == .legacyDefault)
        let off = try JSONDecoder().decode(TrainingSettings.self, from: try settingsJSON(augment: "false"))
        #expect(off.augment == .none)
    }

    @Test func plansRoundTrip() throws {
        var s = TrainingSettings()
        s.augment = try AugmentationPlan.parse("crop=0.7,rotate=15,cutmix=0.5")
        #expect(try JSONDecoder().decode(TrainingSettings.self, from: try JSONEncoder().encode(s)) == s)
    }
}
