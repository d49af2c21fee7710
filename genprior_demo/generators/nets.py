"""Architectures only (no weights, no I/O). All decoders map a latent (B, k) to images (B, C, 32, 32)
in [0, 1]; the GAN's tanh output is rescaled so every prior shares one image domain."""
from __future__ import annotations

import torch
from torch import nn


class DCGANGenerator(nn.Module):
    """DCGAN generator (Radford et al. 2016) for 32×32: z → 4×4×4w → 8×8×2w → 16×16×w → 32×32×C."""

    def __init__(self, latent_dim: int = 100, channels: int = 1, width: int = 64):
        super().__init__()
        w = width
        self.latent_dim = latent_dim
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, 4 * w, 4, 1, 0, bias=False), nn.BatchNorm2d(4 * w), nn.ReLU(True),
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w), nn.ReLU(True),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(True),
            nn.ConvTranspose2d(w, channels, 4, 2, 1), nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # (B, k) -> (B, C, 32, 32) in [0, 1]
        return self.net(z[:, :, None, None]).add(1.0).mul(0.5)


class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator for 32×32 images in [0, 1]; returns logits (B,)."""

    def __init__(self, channels: int = 1, width: int = 64):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(channels, w, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2, True),
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(4 * w), nn.LeakyReLU(0.2, True),
            nn.Conv2d(4 * w, 1, 4, 1, 0),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.mul(2.0).sub(1.0)).flatten()


class ConvEncoder(nn.Module):
    """32×32 → latent. With ``variational`` it returns (mu, logvar), else the code itself."""

    def __init__(self, latent_dim: int, channels: int = 1, width: int = 32, variational: bool = True):
        super().__init__()
        w = width
        self.variational = variational
        self.features = nn.Sequential(
            nn.Conv2d(channels, w, 4, 2, 1), nn.LeakyReLU(0.2, True),        # 16
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.LeakyReLU(0.2, True),           # 8
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1), nn.LeakyReLU(0.2, True),       # 4
            nn.Flatten(),
        )
        self.head = nn.Linear(4 * w * 16, latent_dim * (2 if variational else 1))

    def forward(self, x: torch.Tensor):
        h = self.head(self.features(x))
        return h.chunk(2, dim=1) if self.variational else h


class ConvDecoder(nn.Module):
    """latent → 32×32 in [0, 1] (sigmoid), the mirror of :class:`ConvEncoder`."""

    def __init__(self, latent_dim: int, channels: int = 1, width: int = 32):
        super().__init__()
        w = width
        self.latent_dim = latent_dim
        self.fc = nn.Linear(latent_dim, 4 * w * 16)
        self.w = w
        self.net = nn.Sequential(
            nn.ReLU(True),
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1), nn.ReLU(True),        # 8
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ReLU(True),            # 16
            nn.ConvTranspose2d(w, channels, 4, 2, 1), nn.Sigmoid(),          # 32
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.fc(z).view(-1, 4 * self.w, 4, 4))


class UAIRNet(nn.Module):
    """UAIR's reconstruction network G(y) (Pajot et al. 2019): a small U-Net (32 → 16 → 8 → 16 → 32;
    width 16 trains ~2.5× faster than 32 on this CPU) whose input is the observation and its
    observed-entry mask (ones where nothing is missing). ``residual``: G(y) = y + Net(y), the paper's
    form for corruptions close to the identity (Patch-Band, Convolve-Noise; their App. B); otherwise
    G(y) = Net(y). The last layer starts at zero (the identity, or black)."""

    def __init__(self, channels: int = 1, width: int = 16, residual: bool = True):
        super().__init__()
        w = width
        self.residual = residual
        act = lambda: nn.LeakyReLU(0.2, True)  # noqa: E731

        def block(cin, cout, stride=1):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), act(), nn.Conv2d(cout, cout, 3, 1, 1), act())

        self.e1, self.e2, self.e3 = block(2 * channels, w), block(w, 2 * w, 2), block(2 * w, 4 * w, 2)
        self.u2 = nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1)
        self.d2 = block(4 * w, 2 * w)
        self.u1 = nn.ConvTranspose2d(2 * w, w, 4, 2, 1)
        self.d1 = block(2 * w, w)
        self.out = nn.Conv2d(w, channels, 3, 1, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, y: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:  # (B, C, H, W), (B, C | 1, H, W)
        h1 = self.e1(torch.cat([y, mask.expand_as(y)], 1))
        h2 = self.e2(h1)
        h3 = self.e3(h2)
        d2 = self.d2(torch.cat([self.u2(h3), h2], 1))
        d1 = self.d1(torch.cat([self.u1(d2), h1], 1))
        return y + self.out(d1) if self.residual else self.out(d1)


class SNDiscriminator(nn.Module):
    """Spectrally normalised conv discriminator (Miyato et al. 2018) for 32×32 observations; logits (B,).
    UAIR's settings (Adam 1e-4 / 4e-4, β = (0, 0.9)) are the SN-GAN/SAGAN recipe; with a BatchNorm DCGAN
    discriminator instead, D won within 150 steps here and G diverged."""

    def __init__(self, channels: int = 1, width: int = 32):
        super().__init__()
        sn, w = nn.utils.parametrizations.spectral_norm, width
        self.net = nn.Sequential(
            sn(nn.Conv2d(channels, w, 3, 1, 1)), nn.LeakyReLU(0.1, True),
            sn(nn.Conv2d(w, w, 4, 2, 1)), nn.LeakyReLU(0.1, True),            # 16
            sn(nn.Conv2d(w, 2 * w, 4, 2, 1)), nn.LeakyReLU(0.1, True),        # 8
            sn(nn.Conv2d(2 * w, 4 * w, 4, 2, 1)), nn.LeakyReLU(0.1, True),    # 4
            nn.Flatten(), sn(nn.Linear(4 * w * 16, 1)),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()


class DuffDecoder(nn.Module):
    """The generator Duff, Campbell & Ehrhardt share between their AE, VAE and GAN (their App. B),
    scaled to this CPU: latent → dense → ``start_channels``×(n/8)×(n/8) → three 4×4 stride-2
    up-convolutions (``widths``, LeakyReLU) → 3×3 conv → n×n in [0, 1] (sigmoid).

    Where ours differs: their last layer is a dense map from 64·n² features to n² pixels (629 M weights at
    56×56), replaced by a 3×3 convolution; no dropout (their 0.8 keep-probability), so G is deterministic
    as the solvers need; three stride-2 steps from n/8 (their strides list two for Shapes, which does not
    reach n). Without their global last layer, their one-channel (n/8)² start left the decoder too little
    room: the first trio (start 1, widths 64-64-32) plateaued at a projection NRMSE of 0.37–0.65 on Shapes.
    The second design (``SPECS``) starts from 64 channels and narrows as it grows (64-32-16; 141 k parameters
    at 56×56 against 100 k): shapes56-ae 0.258, shapes56-vae 0.250, and 0.226 / 0.221 after 95 more minutes with
    an annealed learning rate (docs/RESULTS.md §7). The first design
    stays loadable (``start_channels=1, widths=(64, 64, 32)``; a manifest entry without ``decoder``)."""

    def __init__(self, latent_dim: int, size: int = 56, channels: int = 1, widths=(64, 64, 32), start_channels: int = 1):
        super().__init__()
        self.latent_dim, self.start, self.c0 = latent_dim, size // 2 ** len(widths), start_channels
        if self.start * 2 ** len(widths) != size:
            raise ValueError(f"size {size} is not a multiple of {2 ** len(widths)}")
        self.fc = nn.Sequential(nn.Linear(latent_dim, self.c0 * self.start ** 2), nn.LeakyReLU(0.2, True))
        layers, cin = [], self.c0
        for w in widths:
            layers += [nn.ConvTranspose2d(cin, w, 4, 2, 1), nn.LeakyReLU(0.2, True)]
            cin = w
        self.net = nn.Sequential(*layers, nn.Conv2d(cin, channels, 3, 1, 1), nn.Sigmoid())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.fc(z).view(-1, self.c0, self.start, self.start))


class DuffEncoder(nn.Module):
    """Duff et al.'s shared encoder / critic: three 4×4 stride-2 convolutions (32, 64, 64; LeakyReLU, no
    normalisation, so a WGAN-GP critic can use it) and one dense head of ``out`` numbers: the code (AE),
    mean and log-variance (VAE, ``variational``), or the critic's score (GAN, out = 1, returns (B,))."""

    def __init__(self, out: int, size: int = 56, channels: int = 1, widths=(32, 64, 64), variational: bool = False):
        super().__init__()
        self.variational, self.out = variational, out
        layers, cin = [], channels
        for w in widths:
            layers += [nn.Conv2d(cin, w, 4, 2, 1), nn.LeakyReLU(0.2, True)]
            cin = w
        m = size // 2 ** len(widths)
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Linear(cin * m * m, out * (2 if variational else 1))

    def forward(self, x: torch.Tensor):
        h = self.head(self.features(x))
        if self.variational:
            return h.chunk(2, dim=1)
        return h.flatten() if self.out == 1 else h


ARCHITECTURES = {"dcgan": DCGANGenerator, "conv-decoder": ConvDecoder, "duff": DuffDecoder}
