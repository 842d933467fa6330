import Testing
@testable import TLCLI

@Test func TLCLIModuleLinks() {
    #expect(1 + 1 == 2)
}
