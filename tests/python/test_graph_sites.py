"""Activation sites anywhere in a model of the user's (issue 16): a ResNet-style model with skip
connections and batch norm, faulted at submodule and op outputs by ares.campaign, against a plain
reference that applies the same faults in Python (a forward hook, or the block's forward written
out). At BER 1 every selected bit of every stored value flips, so the faulty values are known
exactly: each trial's errors and changed predictions must be the reference's, and the baseline
(the values stored in the format, no fault) must be too. Run by ctest with the other API tests."""

import os
import sys
import types

import pytest
import torch
import torch.nn.functional as F

import ares

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from bad_models import TwoInputs  # noqa: E402  the model the shell test writes too


class Block(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(c, c, 3, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(c)
        self.conv2 = torch.nn.Conv2d(c, c, 3, padding=1)
        self.bn2 = torch.nn.BatchNorm2d(c)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + x)


class ResNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(1, 8, 3, stride=2, padding=1)
        self.layer1 = torch.nn.Sequential(Block(8), Block(8))
        self.fc = torch.nn.Linear(8, 10)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = self.layer1(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def resnet():
    torch.manual_seed(3)
    net = ResNet()
    for m in net.modules():  # batch norm with statistics of its own, as a trained one has
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
    net.fc.weight.data.mul_(8)  # logits that depend on the features, as a trained net's do
    return net.eval()


def data(net, n=96):
    g = torch.Generator().manual_seed(9)
    images = torch.rand((n, 1, 28, 28), generator=g)
    with torch.no_grad():
        labels = net(images).argmax(1)
    labels[::5] = (labels[::5] + 1) % 10  # some baseline errors
    return images, labels


FMT = "q2.6-2c"


def faulty(value, bits):
    """The value stored in FMT with every bit of `bits` flipped, from ares.formats' codes."""
    codes = ares.formats.encode(value.contiguous(), FMT)
    for b in bits:
        codes = codes ^ (1 << b)
    return ares.formats.decode(codes, FMT).view(value.shape)


def reference(net, images, labels, site, bits):
    """Errors and changed predictions with the site's values stored in FMT and `bits` flipped,
    applied in Python; and the baseline's errors (stored, no flip)."""
    def run(flip):
        handles = []
        path, _, leaf = site.rpartition(".")
        owner = net.get_submodule(path) if path else net
        if leaf == "add":  # an op in Block.forward: the forward written out, the fault in it
            def forward(self, x):
                out = F.relu(self.bn1(self.conv1(x)))
                out = self.bn2(self.conv2(out))
                return F.relu(faulty(out + x, flip))
            owner.forward = types.MethodType(forward, owner)
        else:
            handles.append(net.get_submodule(site).register_forward_hook(
                lambda m, i, o: faulty(o, flip)))
        try:
            with torch.no_grad():
                return net(images).argmax(1)
        finally:
            for h in handles:
                h.remove()
            if leaf == "add":
                del owner.forward
    base = run([])
    hit = run(bits)
    return (int((hit != labels).sum()), int((hit != base).sum()), int((base != labels).sum()))


def records(table):
    return table.to_dict("records") if hasattr(table, "to_dict") else table


def test_sites_list_submodule_and_op_outputs():
    net = resnet()
    images, labels = data(net, n=4)
    listed = {s["site"]: (s["shape"], s["values"]) for s in ares.sites(net, (images, labels))}
    for site, shape in [("act:stem", [8, 14, 14]), ("act:relu", [8, 14, 14]),
                        ("act:layer1.0", [8, 14, 14]), ("act:layer1.0.conv2", [8, 14, 14]),
                        ("act:layer1.0.bn1", [8, 14, 14]), ("act:layer1.1.add", [8, 14, 14]),
                        ("act:layer1.1.relu_1", [8, 14, 14]), ("act:flatten", [8]),
                        ("act:fc", [10])]:
        assert listed.get(site) == (shape, 8 * 14 * 14 if len(shape) == 3 else shape[0]), site


@pytest.mark.parametrize("site,bits", [("layer1.0.conv2", [7]), ("layer1.1.add", [7]),
                                       ("layer1.1.bn1", [6]), ("layer1.1", [6, 7])])
def test_faults_at_any_site_match_a_python_reference(site, bits):
    net = resnet()
    images, labels = data(net)
    result = ares.campaign(net, (images, labels), formats=[FMT], bers=[1.0], bits=bits,
                           trials=2, site="act:" + site, threads=2, progress=False)
    want_errors, want_changed, want_base = reference(net, images, labels, site, bits)
    assert want_changed > 0, "the faults change nothing: the comparison says nothing"
    for r in records(result.trials):
        assert int(r["faults"]) == len(images) * 8 * 14 * 14 * len(bits)
        assert (int(r["errors"]), int(r["changed"])) == (want_errors, want_changed), site
    summary = records(result.summary)[0]
    assert round(float(summary["baseline_error"]) * len(images)) == want_base


def test_unknown_site_lists_the_nearest():
    net = resnet()
    images, labels = data(net, n=8)
    with pytest.raises(ares.InputError, match=r"nearest: [^;]*layer1\.0\.conv2") as e:
        ares.campaign(net, (images, labels), formats=[FMT], bers=[1e-3], trials=1,
                      site="act:layer1.0.conv3", progress=False)
    assert "\n" not in str(e.value)


def test_a_forward_with_two_inputs_is_one_line(tmp_path):
    net = resnet()
    images, labels = data(net, n=8)
    path = str(tmp_path / "two.pt")
    torch.jit.script(TwoInputs()).save(path)
    for model in (TwoInputs(), path):
        with pytest.raises(ares.InputError, match=r"forward takes 2 inputs") as e:
            ares.campaign(model, (images, labels), formats=[FMT], bers=[1e-3], trials=1,
                          out=str(tmp_path / "out"), progress=False)
        assert "\n" not in str(e.value)
        assert not (tmp_path / "out").exists()
