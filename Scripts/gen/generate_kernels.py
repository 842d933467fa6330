#!/usr/bin/env python3
"""Regenerates every generated kernel file and backend symlink, or checks that none drifted.

    python3 Scripts/gen/generate_kernels.py          # rewrite the files and links below
    python3 Scripts/gen/generate_kernels.py --check  # exit 1 and list what differs

The backends (Sources/TLKernelsAVX512, TLKernelsAVX2, TLKernelsPortable) are compiled from
the same sources with different -target-cpu flags: shared files live in Sources/KernelsShared
and are symlinked into each backend; register-tiled micro-kernels are generated per tile
shape (12x32 tiles of SIMD16 for AVX-512, 6x16 of SIMD8 for AVX2 and portable code).
The test KernelGenerationTests runs --check, so a hand edit or a missing link fails the suite.
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, "Scripts", "gen")

# (output file under Sources/, generator, arguments)
GENERATED = [
    ("KernelsShared/Micro6x16.swift", "gen_micro.py", ["6", "2", "8", "microKernel6x16"]),
    ("KernelsShared/MicroRows6x16.swift", "gen_micro.py", ["6", "2", "8", "microKernelRows6x16", "rows"]),
    ("KernelsShared/MicroRows4x16.swift", "gen_micro.py", ["4", "2", "8", "microKernelRows4x16", "rows"]),
    ("KernelsShared/ConvMicro6x16.swift", "gen_conv_micro.py", ["6", "2", "8", "convMicroKernel6x16", "--flat"]),
    ("KernelsShared/WGradMicro6x16.swift", "gen_wgrad_micro.py", ["6", "2", "8", "wgradMicroKernel6x16"]),
    ("TLKernelsAVX512/Micro12x32.swift", "gen_micro.py", ["12", "2", "16", "microKernel12x32"]),
    ("TLKernelsAVX512/MicroRows12x32.swift", "gen_micro.py", ["12", "2", "16", "microKernelRows12x32", "rows"]),
    ("TLKernelsAVX512/MicroRows8x32.swift", "gen_micro.py", ["8", "2", "16", "microKernelRows8x32", "rows"]),
    ("TLKernelsAVX512/ConvMicro12x32.swift", "gen_conv_micro.py", ["12", "2", "16", "convMicroKernel12x32"]),
    ("TLKernelsAVX512/WGradMicro12x32.swift", "gen_wgrad_micro.py", ["12", "2", "16", "wgradMicroKernel12x32"]),
    # Narrow tiles (one vector of output channels) for convolutions with few output channels.
    ("KernelsShared/ConvMicro12x8.swift", "gen_conv_micro.py", ["12", "1", "8", "convMicroKernel12x8", "--flat"]),
    # Two output rows of 6 pixels × 8 channels: the stride-1 narrow tile of the 8-lane backends.
    ("KernelsShared/ConvMicroPair6x8.swift", "gen_conv_micro.py", ["6", "1", "8", "convMicroKernelPair6x8", "--pair"]),
    # The 6x16 tile over any 6 output pixels (row offsets from a table): ConvGatherTiles.swift.
    ("KernelsShared/ConvMicroGather6x16.swift", "gen_conv_micro.py", ["6", "2", "8", "convMicroKernelGather6x16", "--gather"]),
    ("KernelsShared/WGradMicro12x8.swift", "gen_wgrad_micro.py", ["12", "1", "8", "wgradMicroKernel12x8"]),
    ("TLKernelsAVX512/ConvMicro24x16.swift", "gen_conv_micro.py", ["24", "1", "16", "convMicroKernel24x16"]),
    ("TLKernelsAVX512/WGradMicro24x16.swift", "gen_wgrad_micro.py", ["24", "1", "16", "wgradMicroKernel24x16"]),
    # Short tile for strided convolutions whose output rows are 7 or 14 pixels wide (ResNet).
    ("TLKernelsAVX512/ConvMicro7x32.swift", "gen_conv_micro.py", ["7", "2", "16", "convMicroKernel7x32"]),
    # Copies with the row step as a constant (base + displacement reads) for the row steps of
    # ResNet's layers: 16/32/64 channels at stride 1, 16/32 channels at stride 2.
    ("TLKernelsAVX512/ConvMicro24x16Lda16.swift", "gen_conv_micro.py", ["24", "1", "16", "convMicroKernel24x16Lda16", "16"]),
    ("TLKernelsAVX512/ConvMicro12x32Lda32.swift", "gen_conv_micro.py", ["12", "2", "16", "convMicroKernel12x32Lda32", "32"]),
    ("TLKernelsAVX512/ConvMicro12x32Lda64.swift", "gen_conv_micro.py", ["12", "2", "16", "convMicroKernel12x32Lda64", "64"]),
    ("TLKernelsAVX512/ConvMicro7x32Lda32.swift", "gen_conv_micro.py", ["7", "2", "16", "convMicroKernel7x32Lda32", "32"]),
    ("TLKernelsAVX512/ConvMicro7x32Lda64.swift", "gen_conv_micro.py", ["7", "2", "16", "convMicroKernel7x32Lda64", "64"]),
]

SHARED_EVERYWHERE = ["AttentionBlocks.swift", "AttentionRows.swift", "BatchNormKernels.swift", "ConvCol2ImKernels.swift", "ConvKernels.swift", "ConvGatherTiles.swift", "ConvPairTiles.swift", "ConvSingleChannelKernels.swift", "ConvWeightGradKernels.swift", "DepthwiseKernels.swift", "GemmDriver.swift", "GemmDirectA.swift", "GemmPackers.swift", "KernelTableExport.swift", "RowKernels.swift", "VectorMath.swift"]
SIX_BY_SIXTEEN = ["ConvMicro12x8.swift", "ConvMicro6x16.swift", "ConvMicroGather6x16.swift", "ConvMicroPair6x8.swift", "ConvNarrow8.swift", "Micro6x16.swift", "MicroRows4x16.swift", "MicroRows6x16.swift", "WGradMicro12x8.swift", "WGradMicro6x16.swift"]
# backend folder -> {link name: target in KernelsShared}
LINKS = {
    "TLKernelsAVX512": {f: f for f in SHARED_EVERYWHERE},
    "TLKernelsAVX2": {**{f: f for f in SHARED_EVERYWHERE + SIX_BY_SIXTEEN}, "Config.swift": "Config6x16.swift"},
    "TLKernelsPortable": {**{f: f for f in SHARED_EVERYWHERE + SIX_BY_SIXTEEN}, "Config.swift": "Config6x16.swift"},
}


def main():
    check = "--check" in sys.argv[1:]
    problems = []
    for path, script, args in GENERATED:
        text = subprocess.run([sys.executable, os.path.join(GEN, script)] + args, check=True,
                              capture_output=True, text=True).stdout
        full = os.path.join(ROOT, "Sources", path)
        current = open(full).read() if os.path.isfile(full) else None
        if current != text:
            problems.append(f"Sources/{path} differs from `python3 Scripts/gen/{script} {' '.join(args)}`")
            if not check:
                with open(full, "w") as f:
                    f.write(text)
    for backend, links in LINKS.items():
        folder = os.path.join(ROOT, "Sources", backend)
        for name, target in links.items():
            link = os.path.join(folder, name)
            want = os.path.join("..", "KernelsShared", target)
            if not (os.path.islink(link) and os.readlink(link) == want):
                problems.append(f"Sources/{backend}/{name} should be a symlink to {want}")
                if not check:
                    if os.path.lexists(link):
                        os.remove(link)
                    os.symlink(want, link)
        # Every symlink in a backend folder must be one the table lists.
        for name in sorted(os.listdir(folder)):
            if os.path.islink(os.path.join(folder, name)) and name not in links:
                problems.append(f"Sources/{backend}/{name} is a symlink this script does not know")
    if check:
        for p in problems:
            print(p)
        print("kernel sources up to date" if not problems else f"{len(problems)} generated kernel file(s) or link(s) drifted; run python3 Scripts/gen/generate_kernels.py")
        sys.exit(1 if problems else 0)
    print(f"regenerated: {len(problems)} change(s)")


if __name__ == "__main__":
    main()
