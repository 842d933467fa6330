import Testing
@testable import TLOptim

@Test func TLOptimModuleLinks() {
    #expect(1 + 1 == 2)
}
