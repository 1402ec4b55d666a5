#!/usr/bin/env python3
"""Writes a torchvision ImageNet model as an Ares checkpoint (docs/imagenet.md).

  export_torchvision.py export MODEL OUT.ckpt [--pretrained | --state-dict FILE.pth] [--seed N]
                               [--inputs X.f32 --logits Y.f32]
  export_torchvision.py preprocess SIZE OUT.f32 IMAGE... [--pil]

MODEL is vgg16, resnet50, mobilenet_v2 or inception_v3. The checkpoint is written directly in
Ares's format (include/ares/models/checkpoint.h: magic ARESCKPT, version 1, metadata, float32
tensors, FNV-1a trailer) with torchvision's state_dict keys renamed to Ares's parameter names,
and metadata model=MODEL, dataset=imagenet. Without --pretrained or --state-dict the weights
are torchvision's random initialisation under --seed, with batch norm scales and shifts drawn
at random and running statistics measured on random inputs (so that a renaming mistake
between them would show in the logits).

--inputs/--logits run the exported model (eval mode) on a raw little-endian float32 file of
N x 3 x S x S preprocessed images (S = 224, or 299 for inception_v3) and write its N x 1000
logits the same way: what Ares's logits on the same inputs must equal.

`preprocess` writes torchvision's evaluation preprocessing of image files, as Ares does it
(uint8 tensor, Resize(round(S*256/224), antialias=True), CenterCrop(S), scale, Normalize), or
with --pil as torchvision's classic PIL pipeline, to a raw float32 N x 3 x S x S file.

Needs python3-torch and python3-torchvision (Debian 12: torch 1.13, torchvision 0.14).
"""

import argparse
import os
import struct
import sys

MODELS = ("vgg16", "resnet50", "mobilenet_v2", "inception_v3")
MAGIC = b"ARESCKPT"
VERSION = 1
# Ares's checkpoint hash starts from 1469598103934665603 (src/models/checkpoint.cpp), not
# FNV-1a's usual offset basis 14695981039346656037: match the file format as it is.
FNV_OFFSET = 1469598103934665603
FNV_PRIME = 0x100000001B3
MASK64 = (1 << 64) - 1
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def fail(msg):
    print(f"export_torchvision: {msg}", file=sys.stderr)
    sys.exit(2)


def input_size(model):
    return 299 if model == "inception_v3" else 224


# ---- names --------------------------------------------------------------------------------

VGG16_CONVS = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)
VGG16_FCS = (0, 3, 6)


def ares_name(model, key):
    """The Ares name of torchvision state_dict key `key`, or None for keys Ares drops."""
    parts = key.split(".")
    if model == "vgg16":
        if parts[0] == "features" and int(parts[1]) in VGG16_CONVS:
            return f"conv{VGG16_CONVS.index(int(parts[1])) + 1}.{parts[2]}"
        if parts[0] == "classifier" and int(parts[1]) in VGG16_FCS:
            return f"fc{VGG16_FCS.index(int(parts[1])) + 1}.{parts[2]}"
    elif model == "resnet50":
        if parts[0] in ("conv1", "bn1"):
            return "stem." + key
        if parts[0].startswith("layer"):
            return f"{parts[0]}_{parts[1]}." + ".".join(parts[2:])
        if parts[0] == "fc":
            return key
    elif model == "mobilenet_v2":
        if parts[0] == "features":
            return f"features_{parts[1]}." + ".".join(parts[2:])
        if parts[0] == "classifier" and parts[1] == "1":
            return "classifier." + parts[2]
    elif model == "inception_v3":
        # The auxiliary classifier only runs in training: Ares's inception_v3 leaves it out.
        return None if parts[0] == "AuxLogits" else key
    raise ValueError(f"{model}: no Ares name for torchvision key '{key}'")


# ---- FNV-1a, vectorised -------------------------------------------------------------------
#
# h <- (h ^ byte) * P (mod 2^64) is sequential, and a Python loop takes ~2 minutes for
# VGG-16's 553 MB. But the xor only touches the low byte: h ^ b = h + d with d = (l ^ b) - l,
# l = h mod 256, so h_n = h_0 P^n + sum_i d_i P^(n-i) -- a dot product once the low bytes
# l_i are known. Those follow l_{i+1} = ((l_i ^ b_i) * P) mod 256, and bit k of that product
# is bit k of (l_i ^ b_i) xor bit k of ((l_i ^ b_i) mod 2^k) * P: bit k of l flips by a
# known sequence, a prefix xor. Eight vectorised passes give every l_i.


_POWERS = {}


def _powers(n):
    """P^n, P^(n-1), ..., P^1 (mod 2^64), cached: every full chunk needs the same ones."""
    import numpy as np

    if n not in _POWERS:
        _POWERS[n] = np.cumprod(np.full(n, FNV_PRIME, dtype=np.uint64))[::-1].copy()
    return _POWERS[n]


def fnv1a_update(h, data, chunk=1 << 16):
    import numpy as np

    b_all = np.frombuffer(data, dtype=np.uint8)
    c = np.uint8(FNV_PRIME & 0xFF)
    for start in range(0, len(b_all), chunk):
        b = b_all[start : start + chunk]
        n = len(b)
        l0 = h & 0xFF
        low = np.zeros(n, dtype=np.uint8)  # l_i, bit by bit
        x = np.empty(n, dtype=np.uint8)
        t = np.empty(n, dtype=np.uint8)
        for k in range(8):
            m = np.uint8(1 << k)
            np.bitwise_xor(low, b, out=x)  # bits < k of l_i ^ b_i (bit k of low is still 0)
            np.bitwise_and(x, np.uint8(m - 1), out=x)
            np.multiply(x, c, out=t)
            np.bitwise_xor(t, b, out=t)
            np.bitwise_and(t, m, out=t)  # bit k: b_i,k ^ bit k of ((l_i ^ b_i) mod 2^k) * P
            np.cumsum(t, dtype=np.uint8, out=t)  # a running sum of 0s and 2^k: bit k = parity
            np.bitwise_and(t, m, out=t)
            first = np.uint8(l0 & int(m))
            low[0] |= first
            np.bitwise_xor(t[:-1], first, out=t[:-1])
            np.bitwise_or(low[1:], t[:-1], out=low[1:])
        # d_i = (l_i ^ b_i) - l_i, wrapped to uint64 as two's complement.
        d = (low ^ b).astype(np.uint64) - low.astype(np.uint64)
        s = int(np.dot(d, _powers(n)))
        h = (h * pow(FNV_PRIME, n, 1 << 64) + s) & MASK64
    return h


def fnv1a_reference(h, data):
    """The plain definition, one byte at a time: what fnv1a_update must equal."""
    for c in data:
        h = ((h ^ c) * FNV_PRIME) & MASK64
    return h


# ---- checkpoint ---------------------------------------------------------------------------


def write_checkpoint(path, meta, tensors):
    """tensors: list of (name, torch.Tensor); written as float32 in that order."""

    def u32(v):
        return struct.pack("<I", v)

    def s(v):
        raw = v.encode()
        return u32(len(raw)) + raw

    pieces = [MAGIC, u32(VERSION), u32(len(meta))]
    for k in sorted(meta):  # Ares writes a std::map: sorted keys
        pieces += [s(k), s(meta[k])]
    pieces.append(u32(len(tensors)))
    for name, t in tensors:
        # (np.ascontiguousarray would turn a 0-d tensor, num_batches_tracked, into 1-d.)
        a = t.detach().cpu().float().contiguous().numpy().astype("<f4", copy=False)
        pieces += [s(name), u32(a.ndim)] + [struct.pack("<q", d) for d in a.shape]
        pieces.append(a.tobytes())
    h = FNV_OFFSET
    for p in pieces:
        h = fnv1a_update(h, p)
    tmp = path + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(tmp, "wb") as f:
        for p in pieces:
            f.write(p)
        f.write(struct.pack("<Q", h))
    os.replace(tmp, path)


# ---- models -------------------------------------------------------------------------------


def build(model, weights=None, aux_logits=False):
    import torchvision

    ctor = getattr(torchvision.models, model)
    kwargs = {"weights": weights}
    if model == "inception_v3":
        # Ares's inception_v3 is torchvision's pretrained configuration: the input is
        # re-normalised first (transform_input); pretrained weights force aux_logits.
        kwargs["transform_input"] = True
        if weights is None:
            kwargs.update(aux_logits=aux_logits, init_weights=True)
    return ctor(**kwargs)


def randomise_batchnorm(net, seed, size):
    """Random BN scales/shifts, then running statistics measured on random inputs."""
    import torch

    g = torch.Generator().manual_seed(seed + 1)
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in bns:
            bn.weight.copy_(torch.rand(bn.weight.shape, generator=g) + 0.5)
            bn.bias.copy_(torch.rand(bn.bias.shape, generator=g) * 0.4 - 0.2)
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average: the stats of exactly these inputs
        if bns:
            net.train()
            net(torch.randn(4, 3, size, size, generator=g))
        for bn in bns:
            bn.momentum = 0.1
    net.eval()


def load_state_dict_file(path):
    import torch

    sd = torch.load(path, map_location="cpu")
    for key in ("state_dict", "model"):
        if isinstance(sd, dict) and key in sd and isinstance(sd[key], dict):
            sd = sd[key]
    if not isinstance(sd, dict):
        fail(f"{path}: expected a state_dict (a dict of tensors), got {type(sd).__name__}")
    # DataParallel prefixes every key with "module.".
    return {(k[7:] if k.startswith("module.") else k): v for k, v in sd.items()}


def export(args):
    import torch
    import torchvision

    model = args.model
    size = input_size(model)
    if args.pretrained and args.state_dict:
        fail("give --pretrained or --state-dict, not both")
    if args.pretrained:
        try:
            net = build(model, weights="DEFAULT")
        except Exception as e:  # no network and no cached file
            fail(
                f"{model}: cannot load torchvision's pretrained weights ({e}); download them "
                f"where there is network (they land in ~/.cache/torch/hub/checkpoints/) or pass "
                f"--state-dict FILE"
            )
        weights = "torchvision " + str(torchvision.models.get_model_weights(model).DEFAULT)
    elif args.state_dict:
        sd = load_state_dict_file(args.state_dict)
        aux = any(k.startswith("AuxLogits.") for k in sd)
        torch.manual_seed(args.seed)
        net = build(model, aux_logits=aux)
        try:
            net.load_state_dict(sd, strict=True)
        except RuntimeError as e:
            detail = " ".join(str(e).split())
            detail = detail if len(detail) <= 400 else detail[:400] + " ..."
            fail(f"{args.state_dict}: not a torchvision {model} state_dict: {detail}")
        weights = "state_dict " + os.path.basename(args.state_dict)
    else:
        torch.manual_seed(args.seed)
        net = build(model)
        randomise_batchnorm(net, args.seed, size)
        weights = f"random (seed {args.seed})"
    net.eval()

    tensors = []
    for key, value in net.state_dict().items():
        name = ares_name(model, key)
        if name is not None:
            tensors.append((name, value))
    meta = {
        "model": model,
        "dataset": "imagenet",
        "weights": weights,
        "torchvision": torchvision.__version__,
        "torch": torch.__version__,
    }
    if not (args.pretrained or args.state_dict):
        meta["seed"] = str(args.seed)
    write_checkpoint(args.out, meta, tensors)

    if args.inputs:
        with open(args.inputs, "rb") as f:
            raw = f.read()
        per = 3 * size * size * 4
        if len(raw) == 0 or len(raw) % per:
            fail(f"{args.inputs}: {len(raw)} bytes is not a whole number of 3x{size}x{size} float32 images")
        x = torch.frombuffer(bytearray(raw), dtype=torch.float32).view(-1, 3, size, size)
        with torch.no_grad():
            logits = net(x)
        with open(args.logits, "wb") as f:
            f.write(logits.contiguous().numpy().astype("<f4").tobytes())
    n_params = sum(p.numel() for n, p in net.named_parameters() if ares_name(model, n))
    print(f"{args.out}: {model}, {n_params} parameters, {len(tensors)} tensors, weights {weights}")


def preprocess(args):
    import torch
    from PIL import Image
    from torchvision import transforms as T
    from torchvision.transforms import functional as F

    size = args.size
    resize = int(round(size * 256 / 224))
    out = []
    for path in args.images:
        img = Image.open(path).convert("RGB")
        if args.pil:
            x = T.Compose([T.Resize(resize), T.CenterCrop(size), T.ToTensor()])(img)
        else:
            x = F.pil_to_tensor(img)
            x = F.resize(x, [resize], antialias=True)
            x = F.center_crop(x, [size, size])
            x = F.convert_image_dtype(x, torch.float32)
        out.append(F.normalize(x, MEAN, STD))
    with open(args.out, "wb") as f:
        f.write(torch.stack(out).contiguous().numpy().astype("<f4").tobytes())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export", help="write a torchvision model as an Ares checkpoint")
    e.add_argument("model", choices=MODELS)
    e.add_argument("out", help="the Ares checkpoint to write")
    e.add_argument("--pretrained", action="store_true",
                   help="torchvision's default pretrained weights (from the torch hub cache)")
    e.add_argument("--state-dict", help="a torchvision state_dict saved with torch.save")
    e.add_argument("--seed", type=int, default=0, help="seed of the random initialisation")
    e.add_argument("--inputs", help="raw float32 N x 3 x S x S images to run the model on")
    e.add_argument("--logits", help="where to write the N x 1000 float32 logits")
    q = sub.add_parser("preprocess", help="torchvision's preprocessing of image files")
    q.add_argument("size", type=int)
    q.add_argument("out")
    q.add_argument("images", nargs="+")
    q.add_argument("--pil", action="store_true", help="torchvision's PIL pipeline instead")
    args = p.parse_args()
    if args.command == "export":
        if bool(args.inputs) != bool(args.logits):
            fail("--inputs and --logits go together")
        for path in (args.state_dict, args.inputs):
            if path and not os.path.isfile(path):
                fail(f"{path}: no such file")
        export(args)
    else:
        preprocess(args)


if __name__ == "__main__":
    main()
