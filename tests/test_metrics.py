import math

import pytest
import torch

from genprior_demo import metrics


def test_psnr_and_ssim_known_values():
    x = torch.zeros(1, 16, 16)
    y = x + 0.1
    assert math.isclose(metrics.psnr(y, x), 20.0, rel_tol=1e-6)
    assert metrics.psnr(x, x) == math.inf
    assert math.isclose(metrics.ssim(x, x), 1.0)
    r = torch.rand(1, 16, 16, generator=torch.Generator().manual_seed(0))
    assert metrics.ssim(r, x) < 0.5


def test_lpips_is_real_or_reported_unavailable():
    x = torch.rand(1, 32, 32)
    d = metrics.lpips_distance(x, x)
    status = metrics.lpips_status()
    if d is None:
        assert status, "an unavailable LPIPS must say why"
    else:
        assert status == "" and abs(d) < 1e-6
    m = metrics.all_metrics(x, x)
    assert set(m) == {"psnr", "ssim", "lpips"} and m["lpips"] == d


@pytest.mark.parametrize("env,allowed", [({}, False), ({"SPACE_ID": "user/demo"}, True),
                                         ({"SPACE_ID": "user/demo", "GENPRIOR_LPIPS_DOWNLOAD": "0"}, False),
                                         ({"GENPRIOR_LPIPS_DOWNLOAD": "1"}, True)])
def test_lpips_weights_are_fetched_only_where_there_is_internet(monkeypatch, env, allowed):
    """A Hugging Face Space (SPACE_ID) has internet: LPIPS fetches its backbone there; offline it stays n/a."""
    for k in ("SPACE_ID", "GENPRIOR_LPIPS_DOWNLOAD"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert metrics._may_download() is allowed
