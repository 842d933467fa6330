import Testing
import Foundation
@testable import TLDistributed

@Suite struct CommunicatorTests {
    @Test func threadGroupReducesLikeALoopOverRanks() throws {
        let size = 3
        let group = ThreadGroup(size: size, timeout: 30)
        let inputs: [[Float]] = (0..<size).map { r in (0..<7).map { Float(($0 * 5 + r * 3) % 11) - 4 } }
        for operation in [ReduceOperation.sum, .max, .min] {
            let results = group.run { r -> [Float] in
                var v = inputs[r]
                try group.communicators[r].allreduce(&v, operation)
                return v
            }
            let expected = (0..<7).map { i -> Float in
                let column = inputs.map { $0[i] }
                switch operation {
                case .sum: return column.reduce(0, +)
                case .max: return column.max()!
                case .min: return column.min()!
                }
            }
            for r in results { #expect(try r.get() == expected) }
        }
    }

    @Test func bucketedAllreduceMatchesOneBucket() throws {
        let group = ThreadGroup(size: 2, timeout: 30)
        let results = group.run { r -> [Float] in
            var v = (0..<1000).map { Float($0 % 17) * Float(r + 1) }
            try v.withUnsafeMutableBufferPointer { try group.communicators[r].allreduceBucketed($0, bucketElements: 64) }
            return v
        }
        let expected = (0..<1000).map { Float($0 % 17) * 3 }
        for r in results { #expect(try r.get() == expected) }
    }

    @Test func disagreementsNameTheDifferingValues() throws {
        let group = ThreadGroup(size: 2, timeout: 30)
        let results = group.run { r in
            try group.communicators[r].disagreements([42, r == 0 ? 7 : 7 | (1 << 40), 0xFFFF_FFFF_FFFF_FFFF])
        }
        for r in results { #expect(try r.get() == [1]) }
    }

    @Test func aFailedPeerStopsTheOthersInsteadOfHanging() throws {
        let group = ThreadGroup(size: 3, timeout: 60)
        let started = Date()
        let results = group.run { r -> Int in
            if r == 2 { usleep(100_000); group.fail(rank: 2); return 0 }
            var v: [Float] = [1]
            try group.communicators[r].allreduce(&v, .sum)
            return 1
        }
        #expect(Date().timeIntervalSince(started) < 10)
        for r in 0..<2 {
            #expect(throws: DistributedError.peerFailed(rank: 2)) { try results[r].get() }
        }
    }

    @Test func aMissingPeerTimesOut() throws {
        let group = ThreadGroup(size: 2, timeout: 0.3)
        var v: [Float] = [1]
        #expect(throws: DistributedError.timeout(operation: "allreduce", seconds: 0.3)) {
            try group.communicators[0].allreduce(&v, .sum)
        }
    }

    @Test func launcherDetectionAndModes() throws {
        #expect(LauncherEnvironment.detect([:]) == nil)
        #expect(LauncherEnvironment.detect(["OMPI_COMM_WORLD_SIZE": "2"])?.size == 2)
        #expect(LauncherEnvironment.detect(["PMI_SIZE": "4"])?.size == 4)
        #expect(try makeCommunicator(mode: .auto, environment: [:]) == nil)
        #expect(try makeCommunicator(mode: .none, environment: ["OMPI_COMM_WORLD_SIZE": "2"]) == nil)
        #expect(try makeCommunicator(mode: .auto, environment: ["OMPI_COMM_WORLD_SIZE": "1"]) == nil)
    }

    @Test func theLaunchersOwnLibraryIsTriedFirst() {
        #expect(MPILibrary.candidates(["OMPI_COMM_WORLD_SIZE": "2"]).first == "libmpi.so.40")
        #expect(MPILibrary.candidates(["PMI_SIZE": "2"]).first == "libmpich.so.12")
        #expect(MPILibrary.candidates([:]).first == "libmpi.so.40")
    }

    @Test func aLauncherWithoutALoadableLibraryIsOneClearError() throws {
        let environment = ["OMPI_COMM_WORLD_SIZE": "2", "TL_MPI_LIBRARY": "/nonexistent/libmpi.so.40"]
        do {
            _ = try makeCommunicator(mode: .auto, environment: environment)
            Issue.record("expected an error")
        } catch let error as DistributedError {
            let text = "\(error)"
            #expect(text.contains("OMPI_COMM_WORLD_SIZE=2"))
            #expect(text.contains("/nonexistent/libmpi.so.40"))
            #expect(!text.contains("\n"))
        }
    }
}
