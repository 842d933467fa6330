import Testing
@testable import TLNN

@Test func TLNNModuleLinks() {
    #expect(1 + 1 == 2)
}
