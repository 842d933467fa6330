import Testing
@testable import TLTransfer

@Test func TLTransferModuleLinks() {
    #expect(1 + 1 == 2)
}
