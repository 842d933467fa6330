#!/usr/bin/env python3
"""Writes the small PyTorch checkpoint fixtures in Tests/Fixtures/pytorch/ (run once, where
PyTorch is installed; the files are committed so the Swift tests need no Python).

Good files (both serialisation formats): a state dict with float32, float16, bfloat16 and
int64 tensors, a non-contiguous (transposed) tensor, a tensor with a storage offset, an
nn.Parameter and a nested dict. expected.json records every tensor's dtype, shape and values.

Hostile files, each of which tl must refuse with one line and without running anything:
  forbidden-global.pth   a pickle that would call os.system when loaded by Python's pickle
  truncated-legacy.pth   the legacy file cut inside its storage data
  truncated-zip.pth      the zip file cut in half
  lying-size-legacy.pth  the legacy storage header claims more elements than the file holds
  lying-size-zip.pth     data.pkl claims a storage of 1,000 elements, the entry has 6
  stride-outside.pth     a tensor whose stride reaches past the end of its storage (zip)
Usage: python3 Scripts/make-pth-fixtures.py
"""
import io, json, os, pickletools, struct, sys, zipfile
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "pytorch")
os.makedirs(OUT, exist_ok=True)

def state():
    g = torch.Generator().manual_seed(0)
    base = torch.randn(4, 6, generator=g)
    sd = {
        "conv.weight": torch.randn(2, 3, 2, 2, generator=g),
        "half": torch.randn(5, generator=g).half(),
        "bf16": torch.randn(3, 2, generator=g).bfloat16(),
        "bn.num_batches_tracked": torch.tensor(7, dtype=torch.int64),
        "transposed": base.t(),                 # stride (1, 6)
        "offset": base[1:3, 2:5],               # storage offset 8, stride (6, 1)
        "param": torch.nn.Parameter(torch.arange(4, dtype=torch.float32)),
        "nested": {"bias": torch.tensor([1.5, -2.25])},
    }
    return sd

def flat(sd, prefix=""):
    for k, v in sd.items():
        name = prefix + k
        if isinstance(v, dict):
            yield from flat(v, name + ".")
        else:
            yield name, v

sd = state()
torch.save(sd, os.path.join(OUT, "state-zip.pth"))
torch.save(sd, os.path.join(OUT, "state-legacy.pth"), _use_new_zipfile_serialization=False)
expected = {name: {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                   "values": [float(x) for x in t.detach().float().flatten().tolist()]} for name, t in flat(sd)}
json.dump(expected, open(os.path.join(OUT, "expected.json"), "w"), indent=1)

class Evil:
    def __reduce__(self):
        return (os.system, ("echo tl-fixture-ran-code > /tmp/tl-pwned",))
torch.save({"w": torch.ones(2), "evil": Evil()}, os.path.join(OUT, "forbidden-global.pth"), _use_new_zipfile_serialization=False)

small = {"w": torch.arange(6, dtype=torch.float32)}
buf = io.BytesIO(); torch.save(small, buf, _use_new_zipfile_serialization=False); legacy = buf.getvalue()
open(os.path.join(OUT, "truncated-legacy.pth"), "wb").write(legacy[:-10])
# The storage's 8-byte element count sits right before its 24 data bytes at the end.
count_at = len(legacy) - 24 - 8
assert struct.unpack("<q", legacy[count_at:count_at + 8])[0] == 6
open(os.path.join(OUT, "lying-size-legacy.pth"), "wb").write(legacy[:count_at] + struct.pack("<q", 1000) + legacy[count_at + 8:])
buf = io.BytesIO(); torch.save(small, buf); z = buf.getvalue()
open(os.path.join(OUT, "truncated-zip.pth"), "wb").write(z[:len(z) // 2])

def rewrite_zip(src, dst, edit_pkl):
    zin = zipfile.ZipFile(io.BytesIO(src))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith("data.pkl"):
                data = edit_pkl(data)
            zout.writestr(info.filename, data)
    open(dst, "wb").write(out.getvalue())

def patch_int(pkl, old, new, nth=0):
    """Replaces the nth BININT1/BININT2 operand equal to `old` with `new` (same width)."""
    hits = [(op.name, pos) for op, arg, pos in pickletools.genops(pkl) if op.name in ("BININT1", "BININT2") and arg == old]
    name, pos = hits[nth]
    width = 1 if name == "BININT1" else 2
    return pkl[:pos + 1] + new.to_bytes(width, "little") + pkl[pos + 1 + width:]

# data.pkl for {"w": arange(6)}: the persistent id's element count 6 is the first BININT1 6.
rewrite_zip(z, os.path.join(OUT, "lying-size-zip.pth"), lambda p: patch_int(p, 6, 200))
strided = {"m": torch.arange(6, dtype=torch.float32).reshape(2, 3)}
buf = io.BytesIO(); torch.save(strided, buf)
# operands in order: storage count 6, offset 0, size (2, 3), stride (3, 1): make the row stride 9.
rewrite_zip(buf.getvalue(), os.path.join(OUT, "stride-outside.pth"), lambda p: patch_int(p, 3, 9, nth=1))
for f in sorted(os.listdir(OUT)):
    print(f, os.path.getsize(os.path.join(OUT, f)))
