import Testing
@testable import TLTensor

@Test func TLTensorModuleLinks() {
    #expect(1 + 1 == 2)
}
