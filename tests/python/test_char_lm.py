"""A character-level language model of the user's (issue 16): a small pre-norm transformer
(token and position embeddings, causal self-attention, a GELU MLP, LayerNorm;
tests/fixtures/char_lm.py) trained here on a seeded synthetic text, brought in through ares.campaign as TorchScript only. Each sample is a
window of characters (their indices, as floats) and its label the character that follows: the
error is next-token error. Checked: the clean error is PyTorch's next-token error on the same
windows, and the clean perplexity PyTorch's exp(cross entropy); weight and activation campaigns at
attention, MLP and LayerNorm sites run, draw faults that change predictions, and give the same
rows for 1 and 2 threads; each trial's perplexity is that of a plain forward pass with its faults
put in by hand, and the summary's is the trials' pooled."""

import math
import os
import sys

import pytest
import torch
import torch.nn.functional as F

import ares

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from char_lm import text, train  # noqa: E402  the model (tests/fixtures/char_lm.py)


@pytest.fixture(scope="module")
def trained():
    return train()


def records(table):
    return table.to_dict("records") if hasattr(table, "to_dict") else table


def test_clean_error_is_pytorchs_next_token_error(trained):
    net, x, y = trained
    with torch.no_grad():
        want = int((net(x).argmax(1) != y).sum()) / len(y)
    assert want < 0.5, "the model did not learn; the test shows little"
    result = ares.campaign(net, (x, y), formats=["fp32"], bers=[1e-9], trials=1,
                           progress=False)
    assert float(records(result.summary)[0]["float_error"]) == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("site", ["act:blocks.0.attn.softmax", "act:blocks.1.gelu",
                                  "act:blocks.0.norm2", "act:blocks.1.attn", "weights"])
def test_campaigns_at_attention_mlp_and_layernorm_sites(trained, site):
    net, x, y = trained
    settings = dict(formats=["q2.6-2c"], bers=[1e-4, 1e-3, 1e-2], trials=2, site=site,
                    progress=False, seed=3)
    one = ares.campaign(net, (x, y), threads=1, **settings)
    two = ares.campaign(net, (x, y), threads=2, **settings)
    rows = [(r["ber"], r["trial"], r["faults"], r["errors"], r["changed"])
            for r in records(one.trials)]
    assert rows == [(r["ber"], r["trial"], r["faults"], r["errors"], r["changed"])
                    for r in records(two.trials)]
    assert any(int(r[2]) > 0 for r in rows), "no fault drawn"
    assert any(int(r[4]) > 0 for r in rows), "no fault changed a prediction"


def test_clean_perplexity_is_pytorchs(trained):
    net, x, y = trained
    with torch.no_grad():
        want = math.exp(F.cross_entropy(net(x).double(), y).item())
    result = ares.campaign(net, (x, y), formats=["fp32"], bers=[1e-9], trials=1,
                           progress=False)
    summary = records(result.summary)[0]
    assert float(summary["baseline_perplexity"]) == pytest.approx(want, rel=1e-9)
    assert result.json["summaries"][0]["baseline_perplexity"] == pytest.approx(want, rel=1e-9)
    assert 1 < want < 0.5 * len(set(text())), "the model did not learn; the test shows little"


def test_trial_perplexity_is_a_plain_forward_with_the_faults(trained):
    """BER 1 on one bit of an attention output (fp32's sign: every value's sign flips, so the
    faulty values are known exactly) through a forward hook: the trial's perplexity must be the
    hooked model's exp(cross entropy); the summary's, exp of the trials' mean NLL."""
    net, x, y = trained
    site = "blocks.0.attn"
    result = ares.campaign(net, (x, y), formats=["fp32"], bers=[1.0], trials=2,
                           site="act:" + site, bits=[31], progress=False)
    module = dict(net.named_modules())[site]
    handle = module.register_forward_hook(lambda m, i, out: -out)
    try:
        with torch.no_grad():
            nll = F.cross_entropy(net(x).double(), y).item()
    finally:
        handle.remove()
    rows = records(result.trials)
    baseline = math.log(float(records(result.summary)[0]["baseline_perplexity"]))
    assert nll > baseline + 0.1, "the faults did not raise the NLL; the test shows little"
    for r in rows:
        assert float(r["nll"]) == pytest.approx(nll, rel=1e-6)
        assert float(r["perplexity"]) == pytest.approx(math.exp(nll), rel=1e-6)
    pooled = math.exp(sum(float(r["nll"]) for r in rows) / len(rows))
    assert result.json["summaries"][0]["perplexity"][0] == pytest.approx(pooled, rel=1e-12)
    assert result.json["summaries"][0]["median_perplexity"][0] == pytest.approx(
        math.exp(nll), rel=1e-6)


def test_non_finite_logits_make_the_pooled_perplexity_infinite(trained):
    """fp16 weights at BER 1e-2: exponent flips give Inf and NaN logits. The trial's perplexity
    is then inf (in trials.csv), and the pooled one the string "inf" in summary.json."""
    net, x, y = trained
    result = ares.campaign(net, (x, y), formats=["fp16"], bers=[1e-2], trials=2, progress=False)
    rows = records(result.trials)
    assert all(int(r["nonfinite"]) > 0 for r in rows), "no non-finite logits: nothing tested"
    assert all(math.isinf(float(r["perplexity"])) for r in rows)
    assert result.json["summaries"][0]["perplexity"] == ["inf"]
    assert result.json["summaries"][0]["median_perplexity"] == ["inf"]
