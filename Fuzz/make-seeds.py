#!/usr/bin/env python3
"""Writes the small seed corpora in Fuzz/corpus/<target>/ (committed; re-run to regenerate).
Each seed is a valid (or nearly valid) file of the format, a few hundred bytes at most, so the
fuzzer starts from inputs that reach deep into the parser."""
import gzip, io, json, os, shutil, struct, zipfile, zlib
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

def put(target, name, data):
    d = os.path.join(ROOT, target); os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def safetensors(tensors, meta=None):
    header, body = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(body), len(body) + len(raw)]}
        body += raw
    if meta: header["__metadata__"] = meta
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + body

def npy(a):
    b = io.BytesIO(); np.save(b, a); return b.getvalue()

# safetensors
put("safetensors", "f32", safetensors({"w": ("F32", [2, 2], np.arange(4, dtype="<f4").tobytes()),
                                        "b": ("F16", [2], np.ones(2, dtype="<f2").tobytes())}, {"k": "v"}))
put("safetensors", "i64", safetensors({"n": ("I64", [1], struct.pack("<q", 7)),
                                        "z": ("BF16", [0], b"")}))
# specs: the shipped small ones
for name in ["mlp.json", "lenet.json", "transformer.json", "resnet.json"]:
    with open(os.path.join(REPO, "Models", name), "rb") as f: put("spec", name, f.read())
    shutil.copy(os.path.join(REPO, "Models", name), os.path.join(ROOT, "spec", name)) if os.path.isdir(os.path.join(ROOT, "spec")) else (os.makedirs(os.path.join(ROOT, "spec")), shutil.copy(os.path.join(REPO, "Models", name), os.path.join(ROOT, "spec", name)))
# csv and text
put("csv", "numeric", "label,a,b,c\n0,1.5,2,3\n1,-4e-1,5,6\n2,7,8,nan\n")
put("csv", "nohead", "1;2;3;0\n4;5;6;1\n")
put("csv", "text", 'label,text\npos,"a good, ""quoted"" film"\nneg,bad\n')
put("csv", "tab", "1\tnice movie\n0\tawful\r\n")
# idx
put("idx", "u8", bytes([0, 0, 8, 3]) + struct.pack(">III", 2, 2, 2) + bytes(range(8)))
put("idx", "f32", bytes([0, 0, 0x0D, 1]) + struct.pack(">I", 2) + struct.pack(">ff", 1.5, -2))
put("idx", "labels", bytes([0, 0, 8, 1]) + struct.pack(">I", 3) + bytes([0, 1, 2]))
# npy / npz
put("npy", "f4", npy(np.arange(6, dtype="<f4").reshape(2, 3)))
put("npy", "i8", npy(np.array([0, 1, 2, 1], dtype="<i8")))
put("npy", "fortran", npy(np.asfortranarray(np.arange(6, dtype=">f8").reshape(2, 3))))
put("npy", "u1", npy(np.array([[1, 2]], dtype="u1")))
def npz(compress):
    b = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(b, x=np.arange(4, dtype="<f4").reshape(2, 2), y=np.array([0, 1]))
    return b.getvalue()
put("npz", "stored", npz(False)); put("npz", "deflated", npz(True))
# zip
b = io.BytesIO()
with zipfile.ZipFile(b, "w") as z:
    z.writestr("a.txt", "hello hello hello", compress_type=zipfile.ZIP_DEFLATED)
    z.writestr("b.bin", b"\x00\x01\x02", compress_type=zipfile.ZIP_STORED)
put("zip", "two", b.getvalue())
b = io.BytesIO()
with zipfile.ZipFile(b, "w", allowZip64=True) as z:
    with z.open("big", "w", force_zip64=True) as f: f.write(b"zip64 member")
put("zip", "zip64", b.getvalue())
# deflate / gzip / zlib
text = b"the quick brown fox jumps over the lazy dog " * 8
put("deflate", "gzip", gzip.compress(text))
put("deflate", "zlib", zlib.compress(text, 9))
put("deflate", "raw-fixed", zlib.compress(b"abcabcabc", 1)[2:-4])
co = zlib.compressobj(9, zlib.DEFLATED, -15); put("deflate", "raw-dynamic", co.compress(bytes(range(256)) * 2) + co.flush())
put("deflate", "stored", zlib.compressobj(0, zlib.DEFLATED, -15).compress(b"xy") + b"")
# images
from PIL import Image
def png(mode, size, **kw):
    b = io.BytesIO(); Image.new(mode, size, **kw).save(b, "PNG"); return b.getvalue()
put("png", "rgb", png("RGB", (3, 2), color=(10, 200, 30)))
put("png", "gray", png("L", (4, 3), color=128))
put("png", "rgba", png("RGBA", (2, 2), color=(1, 2, 3, 4)))
put("png", "palette", png("P", (3, 3), color=5))
put("png", "bits1", png("1", (9, 2), color=1))
im = Image.new("I;16", (2, 2)); b = io.BytesIO(); im.save(b, "PNG"); put("png", "gray16", b.getvalue())
put("pnm", "p5", b"P5\n3 2\n255\n" + bytes(range(6)))
put("pnm", "p6", b"P6 2 1 65535\n" + bytes(range(12)))
put("pnm", "p2", b"P2\n# comment\n2 2\n15\n0 5\n10 15\n")
put("pnm", "p3", b"P3 1 1 255 1 2 3\n")
jdir = os.path.join(REPO, "Tests/TLDataTests/Fixtures/jpeg")
for name in ["baseline-420.jpg", "grey-progressive.jpg", "grey.jpg", "orientation-3.jpg"]:
    with open(os.path.join(jdir, name), "rb") as f: put("jpeg", name, f.read())
def jpeg(mode, size, **kw):
    b = io.BytesIO(); Image.new(mode, size, color=(90, 20, 200) if mode == "RGB" else 99).save(b, "JPEG", **kw); return b.getvalue()
put("jpeg", "tiny-444", jpeg("RGB", (8, 8), subsampling=0, quality=50))
put("jpeg", "tiny-progressive", jpeg("RGB", (16, 8), progressive=True, quality=30))
put("jpeg", "tiny-restart", jpeg("L", (16, 16), quality=40))
# wordpiece: vocabulary, blank line, text
put("wordpiece", "basic", "hello\n##s\nworld\nun\n##aff\n##able\n,\n\nHello, worlds! unaffable naïve 中文 \u00e9t\u00e9\n")
put("wordpiece", "text-only", "A sentence; with punctuation... and CAPS.\n")
# pytorch: the committed fixtures
pdir = os.path.join(REPO, "Tests/Fixtures/pytorch")
for name in ["state-legacy.pth", "state-zip.pth", "forbidden-global.pth", "stride-outside.pth"]:
    with open(os.path.join(pdir, name), "rb") as f: put("pytorch", name, f.read())
