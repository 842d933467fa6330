/// The sizes of one (batch, head) block of fused attention: the head's Q, K, V (and their
/// gradients) are [tokens, headSize] slices with rows `inputStride` apart, its context (and
/// context gradient) a slice with rows `outputStride` apart.
public struct AttentionBlockShape: Sendable, Equatable {
    public var tokens: Int, headSize: Int, inputStride: Int, outputStride: Int
    public var scale: Float
    public init(tokens: Int, headSize: Int, inputStride: Int, outputStride: Int, scale: Float) {
        self.tokens = tokens; self.headSize = headSize; self.inputStride = inputStride
        self.outputStride = outputStride; self.scale = scale
    }
}

/// A backend's per-block attention passes (contracts: Sources/KernelsShared/AttentionBlocks.swift;
/// TLKernels' `attentionForward` / `attentionBackward` give each thread whole blocks and one
/// workspace of `workspaceFloats(tokens, headSize)` floats, 64-byte aligned).
public struct AttentionKernels: Sendable {
    /// `attentionBlockWorkspaceFloats(tokens:headSize:)` (a multiple of 16).
    public let workspaceFloats: @Sendable (_ tokens: Int, _ headSize: Int) -> Int
    /// `attentionForwardBlock(q:k:v:keyMask:dropout:probabilities:context:shape:workspace:)`.
    public let forwardBlock: @Sendable (_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                                        _ keyMask: UnsafePointer<Float>?, _ dropout: UnsafePointer<Float>?,
                                        _ probabilities: UnsafeMutablePointer<Float>, _ context: UnsafeMutablePointer<Float>,
                                        _ shape: AttentionBlockShape, _ workspace: UnsafeMutablePointer<Float>) -> Void
    /// `attentionBackwardBlock(q:k:v:probabilities:dropout:contextGradient:dq:dk:dv:shape:workspace:)`.
    public let backwardBlock: @Sendable (_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                                         _ probabilities: UnsafePointer<Float>, _ dropout: UnsafePointer<Float>?,
                                         _ contextGradient: UnsafePointer<Float>, _ dq: UnsafeMutablePointer<Float>,
                                         _ dk: UnsafeMutablePointer<Float>, _ dv: UnsafeMutablePointer<Float>,
                                         _ shape: AttentionBlockShape, _ workspace: UnsafeMutablePointer<Float>) -> Void

    public init(workspaceFloats: @escaping @Sendable (Int, Int) -> Int,
                forwardBlock: @escaping @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                                   UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>,
                                                   UnsafeMutablePointer<Float>, AttentionBlockShape, UnsafeMutablePointer<Float>) -> Void,
                backwardBlock: @escaping @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                                    UnsafePointer<Float>, UnsafePointer<Float>?, UnsafePointer<Float>,
                                                    UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                                    AttentionBlockShape, UnsafeMutablePointer<Float>) -> Void) {
        self.workspaceFloats = workspaceFloats
        self.forwardBlock = forwardBlock
        self.backwardBlock = backwardBlock
    }
}
