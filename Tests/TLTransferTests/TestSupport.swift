import Foundation
@_exported import TLTestSupport
