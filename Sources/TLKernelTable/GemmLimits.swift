/// Products with m·n·k at most this run through the GEMM's unpacked loops for tiny products
/// (plain multiply and add, no packing or allocation; `gemmCore` in
/// Sources/KernelsShared/GemmDriver.swift) instead of the blocked drivers' fused multiply-adds,
/// so they round differently. One value for every backend and for the callers that must know
/// which path a product takes (TLKernels' `gemmRunsUnpacked`: the packed-sequence attention and
/// linear layers keep bit-equality with the padded path across this boundary).
public let gemmSmallProductLimit = 4096
