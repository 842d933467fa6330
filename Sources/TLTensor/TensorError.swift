/// Errors thrown by tensor operations. Shape problems are always thrown, never trapped,
/// and the message names the operation and every shape involved.
public enum TensorError: Error, CustomStringConvertible, Equatable {
    /// Two shapes that an operation needs to agree (or broadcast) do not.
    case shapeMismatch(operation: String, lhs: [Int], rhs: [Int])
    /// An argument is invalid for the tensor it is applied to (bad axis, bad range, ...).
    case invalidArgument(operation: String, message: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, lhs, rhs):
            return "\(op): incompatible shapes \(lhs) and \(rhs)"
        case let .invalidArgument(op, message):
            return "\(op): \(message)"
        }
    }
}

extension TensorError: LocalizedError {
    public var errorDescription: String? { description }
}

import Foundation
