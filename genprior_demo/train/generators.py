"""Train the shipped generators on CPU within a time budget and record them in the manifest.

    python -m genprior_demo train mnist-dcgan --data-root ../shared/data --minutes 30 --seed 0
"""
from __future__ import annotations

import json
import math
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..data import load_mnist, make_shapes
from ..device import seeded
from ..generators import registry
from ..generators.prior import GenerativePrior
from .common import ema_update, save_atomic


STATE_DIR = registry.CHECKPOINT_DIR / ".state"  # resumable training state (git-ignored)


class TrainSettingsError(ValueError):
    """Training settings that do not fit the generator or its saved state (the CLI prints it as a usage error)."""


def training_data(dataset: str, data_root: str | None, seed: int, size: int = 32) -> torch.Tensor:
    if dataset == "mnist":
        return load_mnist(data_root, train=True)
    if size == 32:
        return make_shapes(60000, seed=10_000 + seed)  # test Shapes use other seeds (see data.py users)
    # 60 000 as Duff et al.; in chunks of 5 000 with seeds 20 000 + 100·seed + chunk (test/validation < 1000)
    return torch.cat([make_shapes(5000, seed=20_000 + 100 * seed + c, size=size) for c in range(12)])


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


@dataclass(frozen=True)
class DuffTrainConfig:
    """Settings of the Duff-style trio (shared architecture). AE: binary cross-entropy of G(E(x)) against x
    (Duff et al. do not give the AE's loss; ‖x − G(E(x))‖² through the sigmoid stalled at a black image here:
    squared error 254 per 56×56 image after 250 steps, 78 with BCE); VAE: their eq. 6,
    ‖x − G(z)‖²/(2ρ²) + KL with ρ = 0.1 (they tune ρ by eye; not stated), after ``vae_warmup`` steps with
    BCE in place of the squared error (ours: from a random start the squared error through the sigmoid
    stalled at a black image, ‖x − G(z)‖² ≈ ‖x‖² ≈ 280 per image after 150 steps, as the AE's did); GAN: WGAN-GP (Gulrajani et
    al.: Adam 1e-4, β = (0, 0.9), 5 critic steps per generator step, gradient-penalty weight 10), with an
    exponential moving average of G (decay 0.999) as the shipped generator."""

    batch: int = 64
    gan_batch: int = 32  # half of the AE/VAE batch: twice the generator steps per CPU minute
    lr: float = 1e-3
    rho: float = 0.1
    vae_warmup: int = 500
    gan_lr: float = 1e-4
    gan_betas: tuple = (0.0, 0.9)
    n_critic: int = 5
    gp: float = 10.0
    ema: float = 0.999
    lr_final: float | None = None  # ours: AE/VAE learning rate annealed from ``lr`` to this (cosine over the minutes)


def cosine_lr(lr: float, lr_final: float | None, spent: float, total: float) -> float:
    """The AE/VAE learning rate after ``spent`` of ``total`` seconds: ``lr`` when ``lr_final`` is None,
    else a cosine from ``lr`` down to ``lr_final`` (time-based, as the budget is; a resumed run continues it)."""
    if lr_final is None or total <= 0:
        return lr
    frac = min(max(spent / total, 0.0), 1.0)
    return lr_final + (lr - lr_final) * 0.5 * (1 + math.cos(math.pi * frac))


def _gradient_penalty(D, real, fake, g):
    eps = torch.rand(real.shape[0], 1, 1, 1, generator=g).to(real.device)
    mix = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(D(mix).sum(), mix, create_graph=True)
    return (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()


def train_duff(p: GenerativePrior, name: str, x: torch.Tensor, minutes: float, g: torch.Generator, device,
               cfg: DuffTrainConfig = DuffTrainConfig(), resume: bool = False, save_every: float = 120.0,
               origin: dict | None = None) -> dict:
    """Train one Duff-style generator for ``minutes`` in total (a resumed run counts the time already spent),
    saving its whole state to checkpoints/.state/ every ``save_every`` seconds. ``origin``: the shipped entry a
    warm start continues from; it is saved with the state, and a resume must match the saved run (same
    warm start, same ``lr_final``, and for an annealed run the same ``minutes``, which fix its schedule)."""
    import copy

    gan = p.discriminator is not None
    nets = [p.decoder, p.discriminator] if gan else [p.decoder, p.encoder]
    for m in nets:
        m.train().requires_grad_(True)
    if gan:
        oG = torch.optim.Adam(p.decoder.parameters(), cfg.gan_lr, betas=cfg.gan_betas)
        oD = torch.optim.Adam(p.discriminator.parameters(), cfg.gan_lr, betas=cfg.gan_betas)
        opts = [oG, oD]
        ema = copy.deepcopy(p.decoder).requires_grad_(False)
    else:
        opts = [torch.optim.Adam(list(p.decoder.parameters()) + list(p.encoder.parameters()), cfg.lr)]
        ema = None
    it, spent = 0, 0.0
    state_path = STATE_DIR / f"{name}.pt"
    if resume and state_path.is_file():
        st = torch.load(state_path, weights_only=True)  # our own file: tensors and numbers only
        for i, m in enumerate(nets):
            m.load_state_dict(st[f"net{i}"])
        for i, o in enumerate(opts):
            o.load_state_dict(st[f"opt{i}"])
        if ema is not None:
            ema.load_state_dict(st["ema"])
        g.set_state(st["rng"])
        it, spent = int(st["it"]), float(st["spent"])
        saved = st.get("origin")  # states saved before 2026-12-06 carry none: runs from random weights
        if (saved is None) != (origin is None):
            raise TrainSettingsError(f"{state_path} holds a run {'from the shipped weights (--warm-start)' if saved else 'from random weights'}"
                             f"; resume it {'with' if saved else 'without'} --warm-start, or delete it to start afresh")
        origin = saved
        if st.get("lr_final") != cfg.lr_final:
            raise TrainSettingsError(f"{state_path} was trained with --lr-final {st.get('lr_final')}; resume with the same")
        if cfg.lr_final is not None and abs(float(st["total"]) - 60 * minutes) > 1e-6:
            raise TrainSettingsError(f"{state_path}'s learning rate anneals over --minutes {float(st['total']) / 60:g}; resume "
                             "with the same (an annealed run cannot be extended)")
        print(f"resumed {name} at iteration {it} ({spent:.0f} s)", flush=True)

    def save_state():
        st = {f"net{i}": m.state_dict() for i, m in enumerate(nets)}
        st.update({f"opt{i}": o.state_dict() for i, o in enumerate(opts)})
        if ema is not None:
            st["ema"] = ema.state_dict()
        save_atomic({**st, "rng": g.get_state(), "it": it, "spent": spent, "origin": origin,
                     "lr_final": cfg.lr_final, "total": 60.0 * minutes}, state_path)

    bs = cfg.gan_batch if gan else cfg.batch

    def batch():
        return x[torch.randint(0, x.shape[0], (bs,), generator=g)].to(device)

    t0, last_save = time.time() - spent, time.time()
    bar = tqdm(desc=name, mininterval=30, initial=it)
    while time.time() - t0 < 60 * minutes:
        if gan:
            G, D = p.decoder, p.discriminator
            for _ in range(cfg.n_critic):
                real = batch()
                with torch.no_grad():
                    fake = G(p.sample_latent(bs, g).to(device))
                ld = D(fake).mean() - D(real).mean() + cfg.gp * _gradient_penalty(D, real, fake, g)
                oD.zero_grad(set_to_none=True); ld.backward(); oD.step()
            lg = -D(G(p.sample_latent(bs, g).to(device))).mean()
            oG.zero_grad(set_to_none=True); lg.backward(); oG.step()
            ema_update(ema, G, it, cfg.ema)
            losses = dict(critic=ld, gen=lg)
        else:
            for group in opts[0].param_groups:
                group["lr"] = cosine_lr(cfg.lr, cfg.lr_final, spent, 60 * minutes)
            real = batch()
            if p.encoder.variational:
                mu, logvar = p.encoder(real)
                z = mu + torch.randn(mu.shape, generator=g).to(device) * (0.5 * logvar).exp()
                kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum() / bs
                if it < cfg.vae_warmup:  # BCE first: the squared error through the sigmoid stalls at black
                    rec = F.binary_cross_entropy(p.decoder(z), real, reduction="sum") / bs
                else:
                    rec = (p.decoder(z) - real).pow(2).sum() / (2 * cfg.rho ** 2 * bs)
            else:
                kl = torch.zeros((), device=device)  # BCE: ℓ2 through the sigmoid stalled at a black image
                rec = F.binary_cross_entropy(p.decoder(p.encoder(real)), real, reduction="sum") / bs
            loss = rec + kl
            opts[0].zero_grad(set_to_none=True); loss.backward(); opts[0].step()
            losses = dict(rec=rec, kl=kl)
        it += 1
        bar.update(1)
        if it % 50 == 0:
            bar.set_postfix({k: f"{float(v.detach()):.4f}" for k, v in losses.items()})
        spent = time.time() - t0
        if time.time() - last_save > save_every:
            save_state()
            last_save = time.time()
    save_state()
    if ema is not None:
        p.decoder.load_state_dict(ema.state_dict())
    for m in nets:
        m.eval().requires_grad_(False)
    if p.encoder is not None and not p.encoder.variational:  # the Gaussian that samples and the penalty use
        with torch.no_grad():
            codes = torch.cat([p.encoder(b.to(device)) for b in x[:20000].split(1000)])
        p.latent_mean, p.latent_std = codes.mean(0), codes.std(0).clamp_min(1e-3)
    out = dict(iterations=it, epochs_completed=round(it * bs * (cfg.n_critic if gan else 1) / x.shape[0], 2),
               seconds=round(spent), recipe=str(cfg))
    return {**out, "warm_start": origin} if origin is not None else out


def save_grid(p: GenerativePrior, path: Path, seed: int = 0, n: int = 64, scale: int = 4) -> None:
    """An 8×8 grid of samples, enlarged with nearest neighbour so digits are crisp."""
    from torchvision.utils import save_image

    with torch.no_grad():
        imgs = p(p.sample_latent(n, seeded(seed)))
    imgs = F.interpolate(imgs.cpu(), scale_factor=scale, mode="nearest")
    save_image(imgs, str(path), nrow=8, padding=2 * scale, pad_value=0.5)


def train(name: str, data_root: str | None, epochs: int, minutes: float, seed: int,
          threads: int | None, device, out_dir: Path = registry.CHECKPOINT_DIR, resume: bool = False,
          warm_start: bool = False, lr_final: float | None = None) -> dict:
    """Train ``name`` and record it in ``out_dir``'s manifest. ``warm_start``: a Duff-style generator starts
    from its shipped weights (decoder, encoder or critic, and latent statistics; fresh optimiser state) and
    the manifest keeps what it started from; ``lr_final``: the AE/VAE learning rate falls (cosine) to it."""
    if threads:
        torch.set_num_threads(threads)
    torch.set_flush_denormal(True)  # a saturated sigmoid's tiny gradients are denormals: 3× slower steps here
    spec = registry.SPECS[name]
    if (warm_start or lr_final is not None) and spec.get("arch") != "duff":
        raise TrainSettingsError(f"--warm-start and --lr-final are for the Duff-style generators; {name} trains in one go")
    if lr_final is not None and spec["kind"] == "gan":
        raise TrainSettingsError(f"--lr-final anneals the AE/VAE learning rate; {name} is a WGAN-GP (fixed Adam 1e-4)")
    if resume and spec.get("arch") != "duff":
        raise TrainSettingsError(f"--resume is for the Duff-style generators; {name} trains in one go")
    origin = shipped = None  # the shipped entry a warm start continues from (with its own origin, if it had one)
    if warm_start:  # checked before the training data are loaded
        shipped = registry.read_manifest(out_dir / "manifest.json").get(name)
        if shipped is None:
            raise TrainSettingsError(f"--warm-start: {name} has no shipped weights in {out_dir} to start from")
        if json.dumps(registry.entry_spec(name, shipped).get("decoder")) != json.dumps(spec.get("decoder")):
            raise TrainSettingsError(f"--warm-start: the shipped {name} is another decoder design than SPECS[{name!r}]")
        origin = {k: shipped[k] for k in ("sha256", "iterations", "seconds", "training_command", "training_note",
                                          "quality", "warm_start") if k in shipped}
    torch.manual_seed(seed)  # initial weights; every data/latent draw below uses the explicit generator
    g = seeded(seed)
    p = registry.build_spec(name)
    p.to(device)
    x = training_data(spec["dataset"], data_root, seed, spec.get("size", 32))
    if shipped is not None and not (resume and (STATE_DIR / f"{name}.pt").is_file()):  # else the state holds the weights
        p = registry.prior_from_entry(name, shipped, out_dir).to(device)
    if spec.get("arch") == "duff":
        cfg = DuffTrainConfig(lr_final=lr_final, vae_warmup=0 if warm_start else DuffTrainConfig.vae_warmup)
        stats = train_duff(p, name, x, minutes, g, device, cfg, resume=resume, origin=origin)
    elif spec["kind"] == "gan":
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
        resolution=spec.get("size", 32), channels=1, latent_dim=spec["latent_dim"], latent_prior=spec["prior"],
        architecture=type(p.decoder).__name__ + (f" + {type(p.encoder).__name__}" if p.encoder else "")
        + (f" + {type(p.discriminator).__name__}" if p.discriminator else ""),
        parameters=sum(t.numel() for t in p.decoder.parameters()), note=spec["note"],
        **({"decoder": spec["decoder"]} if "decoder" in spec else {}),
        training_command="python -m genprior_demo " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        seed=seed, torch=torch.__version__, samples=f"{name}-samples.png", **stats,
    )
    registry.update_manifest(name, entry, out_dir / "manifest.json")
    return entry
