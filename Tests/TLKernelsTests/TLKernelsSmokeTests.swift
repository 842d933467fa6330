import Testing
@testable import TLKernels

@Test func TLKernelsModuleLinks() {
    #expect(1 + 1 == 2)
}
