"""Train the shipped generators on CPU within a time budget and record them in the manifest.

    python -m genprior_demo train mnist-dcgan --data-root ../shared/data --minutes 30 --seed 0
"""
from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..data import load_mnist, make_shapes
from ..device import seeded
from ..generators import registry
from ..generators.prior import GenerativePrior


def training_data(dataset: str, data_root: str | None, seed: int) -> torch.Tensor:
    if dataset == "mnist":
        return load_mnist(data_root, train=True)
    return make_shapes(60000, seed=10_000 + seed)  # test Shapes use other seeds (see data.py users)


def _batches(x: torch.Tensor, bs: int, g: torch.Generator):
    perm = torch.randperm(x.shape[0], generator=g)
    for i in range(0, x.shape[0] - bs + 1, bs):
        yield x[perm[i:i + bs]]


class Budget:
    """Shuffled mini-batches for up to ``epochs`` epochs or ``minutes`` of wall time, with a tqdm bar.
    ``report(**losses)`` shows the latest losses; ``stats()`` says how far training got."""

    def __init__(self, x, bs, g, epochs, minutes, desc):
        self.x, self.bs, self.g, self.epochs, self.minutes, self.desc = x, bs, g, epochs, minutes, desc
        self.t0, self.it, self.bar = time.time(), 0, None

    def __iter__(self):
        for ep in range(self.epochs):
            self.bar = tqdm(_batches(self.x, self.bs, self.g), total=self.x.shape[0] // self.bs,
                            desc=f"{self.desc} epoch {ep + 1}/{self.epochs}", mininterval=10)
            for batch in self.bar:
                yield batch
                self.it += 1
                if time.time() - self.t0 > 60 * self.minutes:
                    return

    def report(self, **losses):
        if self.it % 20 == 0:
            self.bar.set_postfix({k: f"{float(v.detach()):.3f}" for k, v in losses.items()})

    def stats(self) -> dict:
        return dict(iterations=self.it, epochs_completed=round(self.it * self.bs / self.x.shape[0], 2),
                    seconds=round(time.time() - self.t0))


def dcgan_init(m: torch.nn.Module) -> None:
    """Radford et al.'s initialisation: conv weights N(0, 0.02), BatchNorm scale N(1, 0.02), bias 0.
    PyTorch's default (Kaiming) init let the discriminator win outright here (loss_D ≈ 0.002)."""
    if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            torch.nn.init.zeros_(m.bias)
    elif isinstance(m, torch.nn.BatchNorm2d):
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


def train_gan(p: GenerativePrior, x: torch.Tensor, epochs: int, minutes: float, g: torch.Generator,
              device, bs: int = 64) -> dict:
    """Standard DCGAN training: Adam 2e-4, β1 = 0.5, non-saturating BCE loss, DCGAN init (Radford
    et al.). Batch 64 instead of 128: twice the updates per CPU minute."""
    G, D = p.decoder.train().requires_grad_(True), p.discriminator.train().requires_grad_(True)
    G.apply(dcgan_init)
    D.apply(dcgan_init)
    oG = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    oD = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    budget = Budget(x, bs, g, epochs, minutes, "gan")
    bce = F.binary_cross_entropy_with_logits
    for real in budget:
        real = real.to(device)
        z = p.sample_latent(bs, g).to(device)
        fake = G(z)
        ld = bce(D(real), torch.ones(bs, device=device)) + bce(D(fake.detach()), torch.zeros(bs, device=device))
        oD.zero_grad(set_to_none=True); ld.backward(); oD.step()
        lg = bce(D(fake), torch.ones(bs, device=device))
        oG.zero_grad(set_to_none=True); lg.backward(); oG.step()
        budget.report(lossD=ld, lossG=lg)
    G.eval().requires_grad_(False); D.eval().requires_grad_(False)
    return budget.stats()


def train_autoencoder(p: GenerativePrior, x: torch.Tensor, epochs: int, minutes: float,
                      g: torch.Generator, device, bs: int = 128, variational: bool = True) -> dict:
    """VAE (Kingma & Welling; BCE + KL, summed per image) or plain AE (BCE only); Adam 1e-3."""
    enc, dec = p.encoder.train().requires_grad_(True), p.decoder.train().requires_grad_(True)
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), 1e-3)
    budget = Budget(x, bs, g, epochs, minutes, "vae" if variational else "ae")
    for real in budget:
        real = real.to(device)
        if variational:
            mu, logvar = enc(real)
            z = mu + torch.randn(mu.shape, generator=g).to(device) * (0.5 * logvar).exp()
            kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum() / bs
        else:
            z, kl = enc(real), torch.zeros((), device=device)
        rec = F.binary_cross_entropy(dec(z), real, reduction="sum") / bs
        loss = rec + kl
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
        budget.report(rec=rec, kl=kl)
    enc.eval().requires_grad_(False); dec.eval().requires_grad_(False)
    if not variational:  # fit the Gaussian that samples and the latent penalty use
        with torch.no_grad():
            codes = torch.cat([enc(b.to(device)) for b in x[:20000].split(1000)])
        p.latent_mean, p.latent_std = codes.mean(0), codes.std(0).clamp_min(1e-3)
    return budget.stats()


def save_grid(p: GenerativePrior, path: Path, seed: int = 0, n: int = 64, scale: int = 4) -> None:
    """An 8×8 grid of samples, enlarged with nearest neighbour so digits are crisp."""
    from torchvision.utils import save_image

    with torch.no_grad():
        imgs = p(p.sample_latent(n, seeded(seed)))
    imgs = F.interpolate(imgs.cpu(), scale_factor=scale, mode="nearest")
    save_image(imgs, str(path), nrow=8, padding=2 * scale, pad_value=0.5)


def train(name: str, data_root: str | None, epochs: int, minutes: float, seed: int,
          threads: int | None, device, out_dir: Path = registry.CHECKPOINT_DIR) -> dict:
    if threads:
        torch.set_num_threads(threads)
    spec = registry.SPECS[name]
    torch.manual_seed(seed)  # initial weights; every data/latent draw below uses the explicit generator
    g = seeded(seed)
    p = registry.build(spec["kind"], spec["latent_dim"], spec["prior"], name)
    p.to(device)
    x = training_data(spec["dataset"], data_root, seed)
    if spec["kind"] == "gan":
        stats = train_gan(p, x, epochs, minutes, g, device)
    else:
        stats = train_autoencoder(p, x, epochs, minutes, g, device, variational=spec["kind"] == "vae")
    p.to("cpu")
    out_dir.mkdir(parents=True, exist_ok=True)
    from safetensors.torch import save_file

    ckpt = out_dir / f"{name}.safetensors"
    save_file(registry.state_dict_of(p), str(ckpt))
    save_grid(p, out_dir / f"{name}-samples.png")
    entry = dict(
        file=ckpt.name, sha256=registry.sha256_of(ckpt), kind=spec["kind"], dataset=spec["dataset"],
        resolution=32, channels=1, latent_dim=spec["latent_dim"], latent_prior=spec["prior"],
        architecture=type(p.decoder).__name__ + (f" + {type(p.encoder).__name__}" if p.encoder else "")
        + (f" + {type(p.discriminator).__name__}" if p.discriminator else ""),
        parameters=sum(t.numel() for t in p.decoder.parameters()), note=spec["note"],
        training_command="python -m genprior_demo " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        seed=seed, torch=torch.__version__, samples=f"{name}-samples.png", **stats,
    )
    registry.update_manifest(name, entry, out_dir / "manifest.json")
    return entry
