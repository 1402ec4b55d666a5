"""The Python API (import ares): formats checked code by code against references written here
from docs/formats.md, campaigns checked row by row against the ares command, reproducibility,
bad input, and Ctrl-C with resume. Run by ctest (tests/CMakeLists.txt) with PYTHONPATH at the
build tree's python/ and ARES_BIN at the ares command."""

import csv
import os
import signal
import sqlite3
import struct
import subprocess
import threading
import time

import pytest
import torch

import ares

ARES_BIN = os.environ.get("ARES_BIN", "ares")


# ---- formats ----------------------------------------------------------------------------

def ref_fixed(code, int_bits, frac_bits, sign_magnitude):
    """The value of a fixed-point code, from the definition."""
    width = int_bits + frac_bits
    if sign_magnitude:
        magnitude = code & ((1 << (width - 1)) - 1)
        value = magnitude / 2.0 ** frac_bits
        return -value if code >> (width - 1) else value
    signed = code - (1 << width) if code >> (width - 1) else code
    return signed / 2.0 ** frac_bits


def ref_fp16(code):
    """An IEEE binary16 code's value, by the standard library's half-float codec."""
    return struct.unpack("<e", struct.pack("<H", code))[0]


@pytest.mark.parametrize("spec,int_bits,frac_bits,sm", [
    ("q2.6-2c", 2, 6, False), ("q2.6-sm", 2, 6, True), ("q4.4-2c", 4, 4, False),
    ("q1.7-sm", 1, 7, True)])
def test_fixed_point_every_code(spec, int_bits, frac_bits, sm):
    codes = torch.arange(256, dtype=torch.int64)
    values = ares.formats.decode(codes, spec)
    expected = torch.tensor([ref_fixed(c, int_bits, frac_bits, sm) for c in range(256)])
    assert torch.equal(values, expected)
    # encode(decode(c)) == c, except sign-magnitude's -0, which encodes as +0.
    back = ares.formats.encode(values, spec)
    for c in range(256):
        assert back[c].item() == (0 if sm and c == 0x80 else c), (spec, c)
    # Every single-bit flip of every code is the reference value of code ^ (1 << b).
    for bit in range(8):
        flipped = ares.formats.flip(values, spec, bit)
        want = torch.tensor([ref_fixed((0 if sm and c == 0x80 else c) ^ (1 << bit), int_bits,
                                       frac_bits, sm) for c in range(256)])
        assert torch.equal(flipped, want), (spec, bit)


def test_fp16_every_code_and_info():
    codes = torch.arange(1 << 16, dtype=torch.int64)
    values = ares.formats.decode(codes, "fp16")
    expected = torch.tensor([ref_fp16(c) for c in range(1 << 16)], dtype=torch.float32)
    finite = torch.isfinite(expected)
    assert torch.equal(values[finite], expected[finite])
    assert torch.equal(torch.isnan(values), torch.isnan(expected))
    assert torch.equal(torch.isinf(values), torch.isinf(expected))
    info = ares.formats.info("fp16")
    assert info["width"] == 16 and info["max"] == 65504.0
    assert info["roles"][15] == "sign" and info["roles"][10] == "exponent"
    assert info["roles"][0] == "mantissa"
    assert torch.equal(ares.formats.quantize(torch.tensor([1.0 / 3]), "fp16"),
                       torch.tensor([ref_fp16(0x3555)]))


@pytest.mark.parametrize("bits", [2, 4, 8, 12, 16])
@pytest.mark.parametrize("asym", [False, True])
@pytest.mark.parametrize("channel", [False, True])
def test_scaled_integers_are_pytorchs_observer_and_fake_quantize(bits, asym, channel):
    """intN[-ch][-asym] against PyTorch itself: its MinMaxObserver's scale and zero point, then
    fake_quantize, bit for bit, on weights of several ranges and signs."""
    from torch.ao.quantization import MinMaxObserver, PerChannelMinMaxObserver
    qmin, qmax = -2 ** (bits - 1), 2 ** (bits - 1) - 1
    dtype = torch.qint8 if bits <= 8 else torch.qint32
    g = torch.Generator().manual_seed(bits)
    x = (torch.rand(7, 33, generator=g) - 0.5) * torch.logspace(0, -4, 7).unsqueeze(1)
    x[1] = x[1].abs()   # a channel of positive values only
    x[2] = -x[2].abs()  # and one of negative values only
    spec = "int%d%s%s" % (bits, "-ch" if channel else "", "-asym" if asym else "")
    if channel:
        qscheme = torch.per_channel_affine if asym else torch.per_channel_symmetric
        obs = PerChannelMinMaxObserver(ch_axis=0, dtype=dtype, qscheme=qscheme,
                                       quant_min=qmin, quant_max=qmax)
        obs(x)
        scale, zp = obs.calculate_qparams()
        want = torch.fake_quantize_per_channel_affine(x, scale, zp.to(torch.int32), 0, qmin, qmax)
    else:
        qscheme = torch.per_tensor_affine if asym else torch.per_tensor_symmetric
        obs = MinMaxObserver(dtype=dtype, qscheme=qscheme, quant_min=qmin, quant_max=qmax)
        obs(x)
        scale, zp = obs.calculate_qparams()
        want = torch.fake_quantize_per_tensor_affine(x, float(scale), int(zp), qmin, qmax)
    got = ares.formats.quantize(x, spec)
    assert torch.equal(got.view(torch.int32), want.view(torch.int32)), (got - want).abs().max()
    # A 1-D tensor is one channel: per channel is per tensor there.
    assert torch.equal(ares.formats.quantize(x[0], spec), ares.formats.quantize(
        x[0], "int%d%s" % (bits, "-asym" if asym else "")))


def test_scaled_formats_refuse_encode_and_mx_keeps_its_blocks():
    with pytest.raises(ares.InputError, match="is scaled"):
        ares.formats.encode(torch.ones(3), "int8")
    # mxfp8-e4m3: a block of 32 whose max is 3 has the scale 2^(1 - 8); its elements are
    # x / 2^-7 in e4m3, so values of the same binade keep 3 mantissa bits.
    x = torch.full((2, 64), 3.0)
    x[0, :32] = torch.linspace(-3, 3, 32)
    x[1, 32:] = 1e-3
    q = ares.formats.quantize(x, "mxfp8-e4m3")
    assert torch.equal(q[0, :32], ares.formats.quantize(x[0, :32] * 2 ** 7, "fp8-e4m3") / 2 ** 7)
    assert torch.equal(q[1, 32:], ares.formats.quantize(x[1, 32:] * 2 ** 17, "fp8-e4m3") / 2 ** 17)


def test_format_errors_carry_the_commands_message():
    with pytest.raises(ares.InputError) as e:
        ares.formats.encode(torch.zeros(3), "q0.0-sm")
    cli = subprocess.run([ARES_BIN, "formats", "show", "q0.0-sm"], capture_output=True,
                         text=True)
    assert cli.returncode == 2
    assert str(e.value) in cli.stderr
    assert isinstance(e.value, ValueError)
    with pytest.raises(ares.InputError, match="does not fit"):
        ares.formats.decode(torch.tensor([256]), "q2.6-2c")
    with pytest.raises(ares.InputError, match="outside"):
        ares.formats.flip(torch.zeros(2), "q2.6-2c", 8)


# ---- campaigns --------------------------------------------------------------------------

class SmallNet(torch.nn.Module):
    """A model of the kind users bring: functional calls in forward."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(28 * 28, 24)
        self.fc2 = torch.nn.Linear(24, 10)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(torch.flatten(x, 1))))


def small_model(seed=1):
    torch.manual_seed(seed)
    return SmallNet().eval()


def write_idx_dataset(directory, n=200, seed=3):
    """A test split of n 28x28 images in IDX files, as the ares command reads them; the
    images as it loads them (uint8 / 255, N x 1 x 28 x 28) and the labels."""
    g = torch.Generator().manual_seed(seed)
    pixels = torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, 10, (n,), generator=g, dtype=torch.uint8)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "t10k-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28) + pixels.numpy().tobytes())
    with open(os.path.join(directory, "t10k-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + labels.numpy().tobytes())
    return pixels.float().div(255).unsqueeze(1), labels.long()


def test_sites_lists_what_the_command_lists(tmp_path):
    """ares.sites on a module: its staged parameters (SmallNet's forward is a chain: stages
    fc1 and fc2, tanh folded) and act:fc1, as `ares sites --json` lists the saved file."""
    images, labels = write_idx_dataset(str(tmp_path / "data"), n=20)
    net = small_model()
    listed = ares.sites(net, (images, labels))
    weights = [(s["parameter"], s["shape"], s["values"]) for s in listed if s["site"] == "weights"]
    assert weights == [(n, list(p.shape), p.numel()) for n, p in net.named_parameters()]
    # The stage site, then the graph's own (fc1 is the stage's name: the stage's output wins).
    assert [(s["site"], s["shape"], s["values"], s["per"]) for s in listed
            if s["site"] != "weights"] == [("act:fc1", [24], 24, "sample"),
                                           ("act:flatten", [784], 784, "sample"),
                                           ("act:tanh", [24], 24, "sample"),
                                           ("act:fc2", [10], 10, "sample")]
    path = str(tmp_path / "net.pt")
    torch.jit.script(net).save(path)
    cli = subprocess.run([ARES_BIN, "sites", path, "--dataset", str(tmp_path / "data"), "--json"],
                         capture_output=True, text=True, check=True)
    import json
    js = json.loads(cli.stdout)
    assert [(p["name"], p["shape"], p["values"]) for p in js["parameters"]] == weights
    assert ares.sites(path, (images, labels)) == listed
    with pytest.raises(ares.InputError, match="pass data"):
        ares.sites(path)


SETTINGS = dict(formats=["q2.6-2c", "q2.6-sm"], bers=[1e-4, 1e-3, 1e-2], trials=3, seed=5)
ROW_COLUMNS = ["format", "protection", "ber_index", "ber", "trial", "stream", "bits", "faults",
               "errors", "samples", "error", "changed", "nonfinite"]


def rows(table):
    """The rows' columns that must agree, as numbers (and the stream key as its text)."""
    return [tuple(r[c] if c == "stream" else _value(r[c]) for c in ROW_COLUMNS)
            for r in _records(table)]


def _value(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return str(x)


def _records(table):
    return table.to_dict("records") if hasattr(table, "to_dict") else table


def test_campaign_on_a_module_gives_the_commands_rows(tmp_path, capfd):
    images, labels = write_idx_dataset(str(tmp_path / "data"))
    model = small_model()
    result = ares.campaign(model, (images, labels), threads=1, progress=False, **SETTINGS)
    assert "campaign:" not in capfd.readouterr().err  # progress=False: quiet
    assert len(_records(result.trials)) == 2 * 3 * 3
    assert result.out is None
    # The same model as a TorchScript file, through the ares command on the same data.
    script = str(tmp_path / "net.pt")
    torch.jit.script(model).save(script)
    out = str(tmp_path / "cli")
    subprocess.run([ARES_BIN, "campaign", script, "--dataset", str(tmp_path / "data"),
                    "--formats", "q2.6-2c,q2.6-sm", "--bers", "1e-4,1e-3,1e-2", "--trials", "3",
                    "--seed", "5", "--threads", "1", "--out", out], check=True,
                   capture_output=True)
    with open(os.path.join(out, "trials.csv"), newline="") as f:
        cli = rows(list(csv.DictReader(f)))
    assert rows(result.trials) == cli
    # Some trials changed predictions: the comparison says something.
    assert any(int(r["errors"]) != int(_records(result.trials)[0]["errors"])
               for r in _records(result.trials))
    summary = _records(result.summary)
    assert [s["format"] for s in summary] == ["q2.6-2c", "q2.6-sm"]
    assert summary[0]["checkpoint"] == "SmallNet#0"


def test_campaign_rows_do_not_depend_on_threads_or_model_form(tmp_path):
    images, labels = write_idx_dataset(str(tmp_path / "data"))
    one = ares.campaign(small_model(), (images, labels), threads=1, **SETTINGS)
    two = ares.campaign(torch.jit.script(small_model()), (images, labels), threads=2, **SETTINGS)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, labels),
                                         batch_size=64)
    three = ares.campaign(small_model(), loader, threads=2, **SETTINGS)
    assert rows(one.trials) == rows(two.trials) == rows(three.trials)


def test_bad_input_raises_one_line_and_writes_nothing(tmp_path):
    images, labels = write_idx_dataset(str(tmp_path / "data"), n=20)
    out = tmp_path / "out"
    with pytest.raises(ares.InputError, match="did you mean 'trials'"):
        ares.campaign(small_model(), (images, labels), out=str(out), trails=3)
    with pytest.raises(ares.InputError, match="format 'q9.9-xx'"):
        ares.campaign(small_model(), (images, labels), out=str(out), formats=["q9.9-xx"])
    assert not out.exists()  # not even an empty directory
    with pytest.raises(ares.InputError, match="expected a dataset name"):
        ares.campaign(small_model(), 42)
    with pytest.raises(ares.InputError, match="needs data"):
        ares.campaign(small_model())

    class Unscriptable(torch.nn.Module):
        def forward(self, x):  # Python floats out: neither scripted nor traced
            return [float(v) for v in x.flatten().tolist()]

    with pytest.raises(ares.InputError, match="Unscriptable can be neither scripted") as e:
        ares.campaign(Unscriptable(), (images, labels))
    assert "\n" not in str(e.value)


class TupleNet(SmallNet):
    """Logits and a second output, as many research models return them."""

    def forward(self, x):
        return super().forward(x), torch.flatten(x, 1).sum(1)


class DictNet(SmallNet):
    def forward(self, x):
        return {"aux": torch.flatten(x, 1).sum(1), "logits": super().forward(x)}


def test_models_with_several_outputs_choose_one(tmp_path):
    images, labels = write_idx_dataset(str(tmp_path / "data"), n=100)
    plain = ares.campaign(small_model(), (images, labels), progress=False, **SETTINGS)
    torch.manual_seed(1)
    as_tuple = ares.campaign(TupleNet().eval(), (images, labels), output=0, progress=False,
                             **SETTINGS)
    torch.manual_seed(1)
    as_dict = ares.campaign(DictNet().eval(), (images, labels), output="logits",
                            progress=False, **SETTINGS)
    assert rows(as_tuple.trials) == rows(plain.trials) == rows(as_dict.trials)
    with pytest.raises(ares.InputError, match="forward returns a tuple") as e:
        ares.campaign(TupleNet().eval(), (images, labels), progress=False, **SETTINGS)
    assert "output=" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(ares.InputError, match="no such output"):
        ares.campaign(TupleNet().eval(), (images, labels), output=5, progress=False, **SETTINGS)
    # Output 1 is a tensor, but one value per sample: not logits.
    with pytest.raises(ares.InputError, match=r"returns shape \[100\] .* expected logits"):
        ares.campaign(TupleNet().eval(), (images, labels), output=1, progress=False, **SETTINGS)


def test_data_the_model_does_not_take_is_one_line(tmp_path):
    images, labels = write_idx_dataset(str(tmp_path / "data"), n=50)
    with pytest.raises(ares.InputError, match=r"forward failed on a batch of shape \[") as e:
        ares.campaign(small_model(), (images[:, :, :20, :20], labels), progress=False,
                      **SETTINGS)
    assert "\n" not in str(e.value) and "mat1 and mat2" in str(e.value)


def stored_trials(db):
    try:
        with sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=0.1) as c:
            return c.execute("SELECT COUNT(*) FROM trials").fetchone()[0]
    except sqlite3.Error:  # not created yet, or busy
        return 0


def test_ctrl_c_stops_and_the_same_call_resumes(tmp_path):
    images, labels = write_idx_dataset(str(tmp_path / "data"), n=2000)
    settings = dict(formats=["q2.6-2c"], ber_min=1e-3, ber_max=1e-2, ber_points=8, trials=200,
                    seed=2, threads=1)
    total = 8 * 200
    out = str(tmp_path / "out")
    db = os.path.join(out, "campaign.db")
    done = threading.Event()

    def press_ctrl_c_once_trials_are_stored():
        while not done.is_set():
            if stored_trials(db) > 0:
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=press_ctrl_c_once_trials_are_stored)
    watcher.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            ares.campaign(small_model(), (images, labels), out=out, **settings)
    finally:
        done.set()
        watcher.join()
    kept = stored_trials(db)
    assert 0 < kept < total
    assert not os.path.exists(os.path.join(out, "trials.csv"))
    resumed = ares.campaign(small_model(), (images, labels), out=out, **settings)
    whole = ares.campaign(small_model(), (images, labels), **settings)
    assert len(rows(resumed.trials)) == total
    assert rows(resumed.trials) == rows(whole.trials)
    assert resumed.out == out and os.path.exists(os.path.join(out, "summary.json"))
