"""Ares's number formats on tensors, bit-exact (the C++ module `format`; docs/formats.md).

    codes = ares.formats.encode(w, "q2.6-2c")      # int64 codes in the low 8 bits
    ares.formats.decode(codes, "q2.6-2c")          # the stored values
    ares.formats.flip(w, "q2.6-sm", bit=7)         # the values after bit 7 of each flipped
    ares.formats.info("fp16")                      # width, range, lsb, each bit's role

A spec is any format `ares formats` knows ("q2.6-2c", "q4.4-sm", "fp16", "bf16", "fp32",
"fp8-e4m3", "fp4-e2m1", ...). A bad spec raises ares.InputError with the command's message.
The scaled formats ("int8", "int8-ch", "int4-asym", "mxfp8-e4m3", ...) store a scale per group
of values: `quantize` takes whole tensors in them (groups along dim 0, as the weight site forms
them); encode, decode and flip refuse them.
"""

import torch

from . import _ares

__all__ = ["encode", "decode", "quantize", "flip", "info"]


def encode(values, spec):
    """The codes of `values` (a float tensor) in format `spec`: an int64 tensor of its shape."""
    return _ares.encode(spec, torch.as_tensor(values))


def decode(codes, spec):
    """The values of `codes` (integers in 0 .. 2^width - 1): a float32 tensor of its shape."""
    return _ares.decode(spec, torch.as_tensor(codes))


def quantize(values, spec):
    """decode(encode(values)): what the format stores for each value. For a scaled format,
    what the weight site stores for the tensor `values`: its scales (per tensor, per output
    channel along dim 0, or per MX block of 32 within one) and its elements, read back."""
    if _ares.format_info(spec)["scaled"]:
        return _ares.quantize_scaled(spec, torch.as_tensor(values))
    return decode(encode(values, spec), spec)


def flip(values, spec, bit):
    """The stored values after flipping bit `bit` (0 = least significant) of every code."""
    width = _ares.format_info(spec)["width"]
    if not 0 <= bit < width:
        raise _ares.InputError("ares.formats.flip: bit %d is outside format '%s' (%d bits)" %
                               (bit, spec, width))
    return decode(encode(values, spec) ^ (1 << bit), spec)


def info(spec):
    """The format's canonical spec, width, min, max, lsb and roles (roles[b]: bit b)."""
    return _ares.format_info(spec)
