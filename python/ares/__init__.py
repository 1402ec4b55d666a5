"""Ares from Python: bit-exact, reproducible fault-injection campaigns on your own model.

    import ares
    result = ares.campaign(my_module, (images, labels),
                           formats=["q2.6-2c", "q2.6-sm"], trials=20)
    result.summary        # thresholds per configuration (a DataFrame with pandas)
    result.trials         # every trial's row, as trials.csv
    result.json           # summary.json: also each configuration's curves over the BERs

Every keyword of campaign() is a setting of `ares campaign` (`ares campaign --help`), with
'_' for '-': bers=[1e-6, 1e-5], ber_min=1e-8, site="act:fc1", threads=2, seed=3, ... The rows
are those the command writes for the same model, data and settings; the same seed gives the
same rows for any thread count. Bad input raises ares.InputError (a ValueError) with the
command's one-line message. Ctrl-C raises KeyboardInterrupt after every finished trial is
stored: call campaign() again with the same `out` and it resumes.
"""

import csv
import json
import os
import tempfile

import torch  # loads LibTorch and torch's Python bindings before the native module

from . import _ares
from ._ares import InputError
from . import formats

__all__ = ["campaign", "sites", "CampaignResult", "InputError", "formats"]


class CampaignResult:
    """What a campaign produced: its rows, its summary and where its files are."""

    def __init__(self, out, native):
        self.out = out
        self.table = native["table"]
        self.seconds = native["seconds"]
        self.evaluated_trials = native["evaluated_trials"]
        self.eval_seconds = native["eval_seconds"]
        self.clean_forward_seconds = native["clean_forward_seconds"]
        self.trials = _read_table(os.path.join(out, "trials.csv"))
        self.summary = _read_table(os.path.join(out, "summary.csv"))
        # summary.json: per configuration also the curves per BER (mean_error, perplexity, ...)
        with open(os.path.join(out, "summary.json")) as f:
            self.json = json.load(f)

    def __repr__(self):
        return "CampaignResult(out=%r, seconds=%.1f)\n%s" % (self.out, self.seconds, self.table)


def _number(text):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _read_table(path):
    """A pandas DataFrame when pandas is importable, else a list of dicts (numbers parsed)."""
    try:
        import pandas
    except ImportError:
        pandas = None
    if pandas is not None:
        return pandas.read_csv(path, dtype={"stream": str})
    with open(path, newline="") as f:
        return [{k: (v if k == "stream" else _number(v)) for k, v in row.items()}
                for row in csv.DictReader(f)]


def _setting_text(key, value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_setting_text(key, v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _data_tensors(data):
    """(images, labels) from a pair of tensors, a Dataset or a DataLoader; None for a name."""
    if data is None or isinstance(data, str):
        return None
    if isinstance(data, (tuple, list)) and len(data) == 2 and all(
            isinstance(t, torch.Tensor) for t in data):
        return data[0], data[1]
    if isinstance(data, (torch.utils.data.DataLoader, torch.utils.data.Dataset)):
        images, labels = [], []
        batches = data if isinstance(data, torch.utils.data.DataLoader) else (
            (x.unsqueeze(0), torch.as_tensor([y])) for x, y in data)
        for x, y in batches:
            images.append(torch.as_tensor(x))
            labels.append(torch.as_tensor(y).reshape(-1))
        if not images:
            raise InputError("ares.campaign: data: the dataset is empty")
        return torch.cat(images), torch.cat(labels)
    raise InputError("ares.campaign: data: expected a dataset name, (images, labels) tensors, "
                     "a Dataset or a DataLoader, got %s" % type(data).__name__)


def _first_line(error):
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


class _Output(torch.nn.Module):
    """A model whose forward returns a tuple, list or dict, reduced to one of its outputs."""

    __constants__ = ["key"]  # a constant index: TorchScript indexes tuples by constants only

    def __init__(self, model, key):
        super().__init__()
        self.model = model
        self.key = key

    def forward(self, x):
        return self.model(x)[self.key]


def _model_file(model, example, path, output=None):
    """A file Ares can load: the path itself, or the module saved as TorchScript at `path`
    (reduced to output `output` of its forward when given)."""
    if isinstance(model, (str, os.PathLike)):
        if output is not None:
            raise InputError("ares.campaign: output=%r needs the model as a module, not a file"
                             % (output,))
        return os.fspath(model)
    if output is not None and isinstance(model, torch.nn.Module):
        model = _Output(model, output).eval()
        if example is not None:  # check the choice on one sample: a clear line, not a trace
            try:
                with torch.no_grad():
                    chosen = model(example)
            except (IndexError, KeyError, TypeError) as e:
                raise InputError("ares.campaign: output=%r: the model's forward has no such "
                                 "output (%s)" % (output, _first_line(e))) from None
            if not isinstance(chosen, torch.Tensor):
                raise InputError("ares.campaign: output=%r is a %s, not a logits tensor" %
                                 (output, type(chosen).__name__))
    if isinstance(model, torch.jit.ScriptModule):
        scripted = model
    elif isinstance(model, torch.nn.Module):
        model = model.eval()
        try:
            scripted = torch.jit.script(model)
        except Exception as script_error:  # torch raises several types here
            if example is None:
                raise InputError("ares.campaign: model: %s cannot be scripted (%s) and there "
                                 "is no input to trace it with" %
                                 (type(model).__name__, _first_line(script_error))) from None
            try:
                with torch.no_grad():
                    scripted = torch.jit.trace(model, example)
            except Exception as trace_error:
                raise InputError("ares.campaign: model: %s can be neither scripted (%s) nor "
                                 "traced (%s)" % (type(model).__name__, _first_line(script_error),
                                                  _first_line(trace_error))) from None
    else:
        raise InputError("ares.campaign: model: expected a torch.nn.Module, a ScriptModule or a "
                         "checkpoint path, got %s" % type(model).__name__)
    scripted.save(path)
    return path


def _model_name(model, index):
    """The instance's name in the rows: its path, or the module's class and place."""
    if isinstance(model, (str, os.PathLike)):
        return os.fspath(model)
    name = type(model).__name__
    if isinstance(model, torch.jit.ScriptModule):
        name = getattr(model, "original_name", name)
    return "%s#%d" % (name, index)


def sites(model, data=None, *, output=None):
    """Every fault site of `model` as `site=` names them (`ares sites`): a list of dicts with
    "site" ("weights", "act:STAGE", "hidden:STAGE"), "parameter" (weights: one entry per
    parameter), "shape", "values" and "per" ("model" for a parameter, "sample" otherwise).
    model and data as for campaign(); the data's first sample gives the input shape (a
    checkpoint of the zoo knows its own)."""
    tensors = _data_tensors(data)
    if isinstance(data, str):
        tensors = _ares.load_test_set(data)
    example = tensors[0][:1] if tensors is not None else None
    with tempfile.TemporaryDirectory(prefix="ares-") as scratch:
        file = _model_file(model, example, os.path.join(scratch, "model.pt"), output)
        return _ares.list_sites(file, example)


def campaign(model, data=None, *, out=None, progress=True, output=None, **settings):
    """Runs a fault-injection campaign and returns a CampaignResult.

    model: a torch.nn.Module (scripted for you, else traced on the data's first sample), a
        ScriptModule, a path to an Ares checkpoint or TorchScript file, or a list of them (one
        per instance).
    data: (images, labels) tensors (N x sample shape float, N class indices), a Dataset or
        DataLoader of such pairs, or a dataset name ("fashion-mnist"); None: the checkpoint's
        own dataset.
    out: the directory for trials.csv, summary.csv, summary.json and the result store
        campaign.db (a campaign in it resumes); None: a temporary directory, removed after
        the results are read.
    progress: progress with an ETA on stderr (False: quiet, as `ares campaign --quiet`).
    output: for a module whose forward returns a tuple, list or dict: the index or key of the
        logits among them (the model is wrapped to return that one).
    settings: the settings of `ares campaign` by name (formats, bers, trials, site, seed,
        threads, levels, targets, fault_model, ...).
    """
    models = list(model) if isinstance(model, (list, tuple)) else [model]
    tensors = _data_tensors(data)
    on_files = all(isinstance(m, (str, os.PathLike)) for m in models)
    if isinstance(data, str):
        settings["dataset"] = data
        if not on_files:  # a module: Ares evaluates it in memory, on the data as tensors
            tensors = _ares.load_test_set(data)
    if not on_files and tensors is None:
        raise InputError("ares.campaign: data: a module needs data (a dataset name, "
                         "(images, labels) tensors, a Dataset or a DataLoader)")
    text = [(k, _setting_text(k, v)) for k, v in settings.items() if v is not None]
    with tempfile.TemporaryDirectory(prefix="ares-") as scratch:
        example = tensors[0][:1] if tensors is not None else None
        files = [_model_file(m, example, os.path.join(scratch, "model-%d.pt" % i), output)
                 for i, m in enumerate(models)]
        names = [_model_name(m, i) for i, m in enumerate(models)]
        directory = os.path.join(scratch, "out") if out is None else os.fspath(out)
        existed = os.path.isdir(directory)
        os.makedirs(directory, exist_ok=True)
        images, labels = tensors if tensors is not None else (None, None)
        # On failure the native side removes what this call created (an empty store, the
        # directory when it made it), as the command does.
        native = _ares.run_campaign(text, names, files, images, labels, directory, existed,
                                    os.path.join(directory, "campaign.db"), progress)
        result = CampaignResult(directory, native)
        if out is None:
            result.out = None  # the temporary directory goes when campaign() returns
        return result
