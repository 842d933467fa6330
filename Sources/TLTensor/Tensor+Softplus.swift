import Foundation

extension Tensor {
    /// softplus(x) = log(1 + eˣ), computed stably as max(x, 0) + log1p(e^−|x|) so it neither
    /// overflows for large x nor loses the tail for very negative x. Its derivative is σ(x),
    /// smooth everywhere (a composite of relu and abs would get the gradient wrong at x = 0,
    /// exactly where a zero-initialised classifier head starts). Used by the binary
    /// cross-entropy loss and log-sigmoid.
    public func softplus() -> Tensor {
        Tensor.record(.softplus, inputs: [self],
                      output: mapped { Swift.max($0, 0) + Foundation.log1p(Foundation.exp(-Swift.abs($0))) })
    }

    /// log σ(x) = −softplus(−x), stable for any x.
    public func logSigmoid() -> Tensor { -((-self).softplus()) }
}
