#if canImport(Glibc)
import Glibc
#endif

/// Keeps freed tensor buffers in the process heap instead of returning them to the OS.
///
/// Tensor ops allocate their outputs: an encoder layer at batch 32 × 128 tokens makes
/// attention-score arrays of 25 MB and several of 6 MB per call. glibc serves blocks above
/// its mmap threshold (128 KiB at first) with fresh `mmap`s and unmaps them on free, so every
/// call pays first-touch page faults and zeroing for all of them — measured at about a third
/// of the encoder's inference time. Raising the mmap threshold to 32 MiB (glibc's maximum on
/// 64-bit) and the trim threshold to 1 GiB lets those blocks be reused from the heap. Blocks
/// above 32 MiB are still mapped and unmapped individually, so peak memory stays bounded.
/// Call once at program start; a no-op on platforms without glibc's `mallopt`.
public func tuneAllocatorForLargeTemporaries() {
    #if canImport(Glibc)
    // <malloc.h> is not in the Glibc module, so look `mallopt` up at run time; its option
    // numbers are glibc's M_TRIM_THRESHOLD (−1) and M_MMAP_THRESHOLD (−3).
    typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
    let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
    _ = mallopt(-3, 32 << 20)
    _ = mallopt(-1, 1 << 30)
    #endif
}
