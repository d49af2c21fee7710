"""Shipped generators: name → checkpoint file, sha256 and metadata (``checkpoints/manifest.json``).

Loading checks the sha256 and reads only safetensors files (plain tensors, never pickles).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

from .fold import fold_batchnorm
from .nets import ConvDecoder, ConvEncoder, DCGANDiscriminator, DCGANGenerator, DuffDecoder, DuffEncoder, UAIRNet
from .prior import GenerativePrior

CHECKPOINT_DIR = Path(__file__).resolve().parents[2] / "checkpoints"
MANIFEST = CHECKPOINT_DIR / "manifest.json"

# What each shipped generator is; the manifest adds provenance and measured quality after training.
SPECS: dict[str, dict] = {
    "mnist-dcgan": dict(kind="gan", dataset="mnist", latent_dim=100, prior="uniform",
                        note="DCGAN, uniform latent U[-1,1]^100 as in Radford et al. / Anirudh et al."),
    "mnist-vae": dict(kind="vae", dataset="mnist", latent_dim=16, prior="gaussian",
                      note="convolutional VAE, latent 16 (Bora et al. use 20)"),
    "mnist-ae": dict(kind="ae", dataset="mnist", latent_dim=16, prior="gaussian",
                     note="convolutional autoencoder, latent 16; Gaussian fitted to training codes"),
    "shapes-vae": dict(kind="vae", dataset="shapes", latent_dim=12, prior="gaussian",
                       note="convolutional VAE on circle+rectangle Shapes (Duff et al.)"),
    "shapes-ae": dict(kind="ae", dataset="shapes", latent_dim=12, prior="gaussian",
                      note="convolutional autoencoder on Shapes, latent 12 (Duff et al.'s AE); Gaussian fitted to codes"),
    "shapes-gan": dict(kind="gan", dataset="shapes", latent_dim=100, prior="gaussian",
                       note="DCGAN on Shapes, Gaussian latent"),
}
# Duff, Campbell & Ehrhardt's controlled setting: one shared architecture (DuffDecoder / DuffEncoder) for
# the three kinds, their latent sizes (10 for 56×56 Shapes, 8 for MNIST), a Gaussian-likelihood VAE and a
# Wasserstein GAN with gradient penalty (train/generators.py says where the recipe differs from theirs).
_DUFF_KINDS = (("ae", "autoencoder"), ("vae", "Gaussian-likelihood VAE"), ("wgan", "WGAN-GP"))
# Every shipped Duff-style generator is DuffDecoder's second design (shapes56 AE and VAE 2026-12-04, MNIST AE and
# WGAN-GP 2026-12-05, MNIST VAE and shapes56 WGAN-GP 2026-12-06); a manifest entry without "decoder" would load
# as the first design (start 1, widths 64-64-32), which none of them is any more.
_DUFF_DESIGN = dict(start_channels=64, widths=(64, 32, 16))
for _kind, _what in _DUFF_KINDS:
    SPECS[f"mnist-duff-{_kind}"] = dict(
        kind="gan" if _kind == "wgan" else _kind, dataset="mnist", latent_dim=8, prior="gaussian",
        arch="duff", size=32, decoder=_DUFF_DESIGN,
        note=f"Duff et al.'s shared architecture on MNIST, latent 8: {_what}")
for _kind, _what in _DUFF_KINDS:
    SPECS[f"shapes56-{_kind}"] = dict(
        kind="gan" if _kind == "wgan" else _kind, dataset="shapes", latent_dim=10, prior="gaussian",
        arch="duff", size=56, decoder=_DUFF_DESIGN,
        note=f"Duff et al.'s shared architecture on 56×56 Shapes, latent 10: {_what}")
del _kind, _what


# Trained UAIR reconstruction networks (Pajot et al. 2019): name → the corruption they invert. The demo's
# networks use the paper's loss (eq. 9); the reference rows of the report — the first version's
# image-space loss ("-cycle", an ablation) and the same network trained on clean pairs ("-supervised",
# an upper bound; "-paired", the paper's Paired Variant with an adversarial term) — load the same way but
# are not offered in the app.
UAIR_CORRUPTIONS = ("remove-pixel", "remove-pixel-channel", "patch-band", "convolve-noise")
UAIR_NETWORKS: dict[str, str] = {f"uair-{c}": c for c in UAIR_CORRUPTIONS}
UAIR_REFERENCES: dict[str, str] = {f"uair-{c}-{v}": c for v in ("cycle", "supervised", "paired") for c in UAIR_CORRUPTIONS}


class CheckpointError(RuntimeError):
    """A checkpoint is missing, altered (sha256 mismatch) or not a plain tensor file."""


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(path: Path = MANIFEST) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def update_manifest(name: str, fields: dict, path: Path = MANIFEST, replace: bool = True) -> None:
    """Set (``replace``) or merge one manifest entry under a file lock (trainings run in parallel)."""
    import fcntl

    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = read_manifest(path)
        manifest[name] = dict(fields) if replace else {**manifest.get(name, {}), **fields}
        path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def available(path: Path = MANIFEST) -> list[str]:
    """Names of generators that have a checkpoint in the manifest."""
    return [n for n in SPECS if n in read_manifest(path)]


def build(kind: str, latent_dim: int, prior: str, name: str = "random", channels: int = 1,
          gan_width: int = 64, ae_width: int = 32, arch: str = "default", size: int = 32,
          decoder: dict | None = None) -> GenerativePrior:
    """Fresh (randomly initialised) networks of a kind — for training and for fast tests. ``arch="duff"``:
    Duff et al.'s shared decoder (``decoder``: its keyword arguments) with an encoder (AE/VAE) or a critic
    (GAN) of one design, at ``size``."""
    if arch == "duff":
        enc = DuffEncoder(latent_dim, size, channels, variational=kind == "vae") if kind != "gan" else None
        critic = DuffEncoder(1, size, channels) if kind == "gan" else None
        return GenerativePrior(name, DuffDecoder(latent_dim, size, channels, **(decoder or {})), latent_dim, prior, channels, size,
                               encoder=enc, discriminator=critic)
    if kind == "gan":
        return GenerativePrior(name, DCGANGenerator(latent_dim, channels, gan_width), latent_dim, prior,
                               channels, discriminator=DCGANDiscriminator(channels, gan_width))
    if kind in ("vae", "ae"):
        enc = ConvEncoder(latent_dim, channels, ae_width, variational=(kind == "vae"))
        return GenerativePrior(name, ConvDecoder(latent_dim, channels, ae_width), latent_dim, prior,
                               channels, encoder=enc)
    raise ValueError(f"unknown generator kind {kind!r}")


def state_dict_of(p: GenerativePrior) -> dict[str, torch.Tensor]:
    sd = {f"decoder.{k}": v for k, v in p.decoder.state_dict().items()}
    for attr in ("encoder", "discriminator"):
        m = getattr(p, attr)
        if m is not None:
            sd.update({f"{attr}.{k}": v for k, v in m.state_dict().items()})
    sd["latent_mean"] = p.latent_mean
    sd["latent_std"] = p.latent_std
    return {k: v.detach().cpu().contiguous() for k, v in sd.items()}


def load_state(path: Path, sha256: str | None) -> dict[str, torch.Tensor]:
    """Read a safetensors file after checking its sha256; refuse anything else."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint file not found: {path}")
    if path.suffix != ".safetensors":
        raise CheckpointError(f"refusing {path.name}: only .safetensors checkpoints are loaded")
    if sha256 is not None:
        got = sha256_of(path)
        if got != sha256:
            raise CheckpointError(f"sha256 mismatch for {path.name}: expected {sha256[:12]}…, got {got[:12]}…")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path.name} is not a valid safetensors tensor file: {e}") from None


def build_spec(name: str, spec: dict | None = None) -> GenerativePrior:
    """Fresh networks of a shipped generator's design (``SPECS[name]``)."""
    spec = SPECS[name] if spec is None else spec
    return build(spec["kind"], spec["latent_dim"], spec["prior"], name, arch=spec.get("arch", "default"),
                 size=spec.get("size", 32), decoder=spec.get("decoder"))


def prior_from_state(name: str, spec: dict, sd: dict[str, torch.Tensor]) -> GenerativePrior:
    p = build_spec(name, spec)
    for attr in ("decoder", "encoder", "discriminator"):
        m = getattr(p, attr)
        if m is not None:
            m.load_state_dict({k.split(".", 1)[1]: v for k, v in sd.items() if k.startswith(attr + ".")})
    p.latent_mean, p.latent_std = sd["latent_mean"], sd["latent_std"]
    return p


def entry_spec(name: str, entry: dict) -> dict:
    """``SPECS[name]`` with the decoder design a manifest entry was trained with (a Duff-style entry without
    ``decoder`` is the first design)."""
    spec = SPECS[name]
    return {**spec, "decoder": entry.get("decoder")} if spec.get("arch") == "duff" else spec


def prior_from_entry(name: str, entry: dict, folder: Path) -> GenerativePrior:
    """The networks of manifest ``entry`` (sha256-checked), as trained: nothing folded, on the CPU."""
    return prior_from_state(name, entry_spec(name, entry), load_state(Path(folder) / entry["file"], entry["sha256"]))


@lru_cache(maxsize=8)
def _load_cpu(name: str, manifest_path: str) -> GenerativePrior:
    manifest = read_manifest(Path(manifest_path))
    if name not in SPECS:
        raise KeyError(f"unknown generator {name!r}; choose from {', '.join(SPECS)}")
    if name not in manifest:
        raise CheckpointError(f"generator {name!r} has no trained checkpoint in {manifest_path}")
    entry = manifest[name]
    p = prior_from_entry(name, entry, Path(manifest_path).parent)
    p.decoder = fold_batchnorm(p.decoder).eval().requires_grad_(False)  # same function, fewer layers
    p.meta = entry
    return p


def load_prior(name: str, device: torch.device | str = "cpu", manifest: Path = MANIFEST) -> GenerativePrior:
    """Load a shipped generator (checked, cached per process) on ``device``."""
    p = _load_cpu(name, str(manifest))
    if torch.device(device) != p.device:
        import copy
        p = copy.deepcopy(p).to(device)
    return p


@lru_cache(maxsize=8)
def load_projector(name: str, manifest_path: str = str(MANIFEST)) -> torch.nn.Module:
    """The NPGD projector P: image → latent trained for generator ``name`` (sha256-checked)."""
    entry = read_manifest(Path(manifest_path)).get(name, {}).get("projector")
    if entry is None:
        raise CheckpointError(f"generator {name!r} has no trained NPGD projector "
                              f"(python -m genprior_demo train-projector {name})")
    spec = SPECS[name]
    P = ConvEncoder(spec["latent_dim"], 1, width=int(entry.get("width", 32)), variational=False)  # no width: the first, 32
    P.load_state_dict(load_state(Path(manifest_path).parent / entry["file"], entry["sha256"]))
    return P.eval().requires_grad_(False)


@dataclass
class UAIRModel:
    """A trained UAIR network x̂ = G_rec(y, mask), amortised: one forward pass per image."""

    name: str
    net: torch.nn.Module
    corruption: str
    meta: dict

    channels, size = 1, 32

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.channels, self.size, self.size)

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    def __call__(self, y: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.net(y, mask)


@lru_cache(maxsize=4)
def _load_uair_cpu(name: str, manifest_path: str) -> UAIRModel:
    corruption = {**UAIR_NETWORKS, **UAIR_REFERENCES}.get(name)
    if corruption is None:
        raise KeyError(f"unknown UAIR network {name!r}; choose from {', '.join(UAIR_NETWORKS)}")
    entry = read_manifest(Path(manifest_path)).get(name)
    if entry is None:
        loss = name.removeprefix(f"uair-{corruption}").lstrip("-")
        raise CheckpointError(f"UAIR network {name!r} has no trained checkpoint "
                              f"(python -m genprior_demo train-uair {corruption}{f' --loss {loss}' if loss else ''})")
    width = int(entry.get("config", {}).get("width", 16))
    net = UAIRNet(int(entry.get("channels", 1)), width, residual=bool(entry.get("residual", True)))
    net.load_state_dict(load_state(Path(manifest_path).parent / entry["file"], entry["sha256"]))
    model = UAIRModel(name, net.eval().requires_grad_(False), corruption, entry)
    model.channels = int(entry.get("channels", 1))
    return model


def load_uair(name: str, device: torch.device | str = "cpu", manifest: Path = MANIFEST) -> UAIRModel:
    """Load a shipped UAIR network (sha256-checked, cached) on ``device``."""
    m = _load_uair_cpu(name, str(manifest))
    if torch.device(device) != m.device:
        import copy
        m = copy.deepcopy(m)
        m.net.to(device)
    return m
