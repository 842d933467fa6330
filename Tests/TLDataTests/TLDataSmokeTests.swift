import Testing
@testable import TLData

@Test func TLDataModuleLinks() {
    #expect(1 + 1 == 2)
}
