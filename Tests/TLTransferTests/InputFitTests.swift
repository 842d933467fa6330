import Testing
import Foundation
@testable import TLTransfer
import TLModels
import TLNN
import TLData

/// The stated rule that fits flat, [H, W] and channels-first samples to a spec's [H, W, C] input.
@Suite struct InputFitTests {
    func spec(_ shape: [Int]) throws -> ModelSpec {
        let json = """
        {"name": "s", "input": \(shape), "blocks": [
          {"name": "body", "layers": [{"type": "flatten"}]}, {"name": "head", "layers": [{"type": "linear", "out": "classes"}]}]}
        """
        return try ModelSpec.parse(Data(json.utf8), file: "s.json")
    }

    /// Two samples whose value encodes (y, x, c) of an [H, W, C] image: 100·y + 10·x + c.
    func images(_ h: Int, _ w: Int, _ c: Int, layout: SampleLayout?, shape: [Int]) throws -> Dataset {
        var f: [Float] = []
        for i in 0..<2 {
            switch layout {
            case .nchw?:
                for k in 0..<c { for y in 0..<h { for x in 0..<w { f.append(Float(1000 * i + 100 * y + 10 * x + k)) } } }
            default:
                for y in 0..<h { for x in 0..<w { for k in 0..<c { f.append(Float(1000 * i + 100 * y + 10 * x + k)) } } }
            }
        }
        return try Dataset(features: f, sampleShape: shape, labels: [0, 1], classNames: ["a", "b"], source: "d")
    }

    /// The values `images` holds for [H, W, C] samples, in channels-last order.
    func reference(_ h: Int, _ w: Int, _ c: Int) -> [Float] {
        var f: [Float] = []
        for i in 0..<2 { for y in 0..<h { for x in 0..<w { for k in 0..<c { f.append(Float(1000 * i + 100 * y + 10 * x + k)) } } } }
        return f
    }

    @Test func channelsFirstFlatAndTwoDimensionalSamplesMeetAnImageInput() throws {
        let s = try spec([5, 4, 1])
        let nchw = try s.fittingInput(images(5, 4, 1, layout: .nchw, shape: [1, 5, 4]))
        #expect(nchw.data.sampleShape == [5, 4, 1] && nchw.data.features == (reference(5, 4, 1)))
        #expect(nchw.note == "samples [1, 5, 4] read as channels-first (NCHW) and transposed to [5, 4, 1]")
        let flat = try s.fittingInput(images(5, 4, 1, layout: nil, shape: [20]))
        #expect(flat.data.sampleShape == [5, 4, 1] && flat.note == "samples [20] read as flat row-major H·W·C and reshaped to [5, 4, 1]")
        let plane = try s.fittingInput(images(5, 4, 1, layout: nil, shape: [5, 4]))
        #expect(plane.data.sampleShape == [5, 4, 1] && plane.note?.contains("one-channel [H, W]") == true)
        let same = try s.fittingInput(images(5, 4, 1, layout: nil, shape: [5, 4, 1]))
        #expect(same.note == nil && same.data.features == (reference(5, 4, 1)))
        // RGB channels-first values land in the right place.
        let rgb = try spec([3, 2, 3]).fittingInput(images(3, 2, 3, layout: .nchw, shape: [3, 3, 2]))
        #expect(rgb.data.features == (reference(3, 2, 3)))
    }

    @Test func ambiguousShapesNeedADeclaredLayout() throws {
        let cube = try spec([3, 3, 3])
        #expect(throws: DataError.self) { try cube.fittingInput(images(3, 3, 3, layout: nil, shape: [3, 3, 3])) }
        do {
            _ = try spec([28, 28, 3]).fittingInput(images(3, 28, 3, layout: nil, shape: [3, 28, 3]))
            Issue.record("expected an ambiguity error")
        } catch {
            #expect("\(error)".contains("layout=nhwc or layout=nchw"), "\(error)")
        }
        // Declared layouts decide: nchw transposes the cube, a flat C·H·W row is read channels-first.
        var declared = try images(3, 3, 3, layout: .nchw, shape: [3, 3, 3])
        declared.reading.layout = .nchw
        #expect(try cube.fittingInput(declared).data.features == (reference(3, 3, 3)))
        var flatCHW = try images(3, 3, 3, layout: .nchw, shape: [27])
        flatCHW.reading.layout = .nchw
        #expect(try cube.fittingInput(flatCHW).data.features == (reference(3, 3, 3)))
        var nhwc = try images(3, 3, 3, layout: .nhwc, shape: [3, 3, 3])
        nhwc.reading.layout = .nhwc
        #expect(try cube.fittingInput(nhwc).data.features == (reference(3, 3, 3)))
    }

    @Test func wrongSizesSayWhatTheModelTakes() throws {
        let s = try spec([28, 28, 1])
        do {
            _ = try s.fittingInput(images(10, 10, 1, layout: nil, shape: [100]))
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("[28, 28, 1]") && "\(error)".contains("(100 values)"), "\(error)")
        }
        var bad = try images(10, 10, 1, layout: nil, shape: [100])
        bad.reading.layout = .flat
        #expect(throws: DataError.self) { try s.fittingInput(bad) }
        // Flat specs reshape any sample of the right count.
        let mlp = try spec([20])
        #expect(try mlp.fittingInput(images(5, 4, 1, layout: nil, shape: [5, 4, 1])).data.sampleShape == [20])
    }

    @Test func trainingOnOneClassIsAnErrorSayingHowLabelsWereRead() throws {
        var one = try images(2, 2, 1, layout: nil, shape: [2, 2, 1])
        one.labels = [1, 1]
        one.reading.labels = "labels from the last column 'p3' (column 4 of 4)"
        do {
            _ = try TrainingPipeline.prepare(one, spec: spec([2, 2, 1]), settings: TrainingSettings())
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("at least two classes, the data has 1 ('b')"), "\(error)")
            #expect("\(error)".contains("labels from the last column 'p3' (column 4 of 4)"), "\(error)")
        }
        var two = one
        two.labels = [0, 1]
        #expect(try TrainingPipeline.prepare(two, spec: spec([2, 2, 1]), settings: TrainingSettings()).train.count == 2)
    }
}
