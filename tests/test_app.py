"""The app builds, and a reconstruction streams through the real Gradio server (gradio_client)."""
import os

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


@pytest.fixture(scope="module")
def server():
    import app

    app.demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", quiet=True)
    yield app.demo
    app.demo.close()


def test_stream_through_gradio_client(server):
    from gradio_client import Client, handle_file

    import app
    from genprior_demo.ui.reconstruct import example_images

    c = Client(server.local_url, verbose=False)
    job = c.submit(handle_file(example_images()[0]), "cs-gaussian", 0.05, "mnist-vae", "csgm", 60, 2, 0,
                   api_name="/reconstruct")
    outs = list(job)
    assert len(outs) >= 3, "the reconstruction must stream several updates"
    final = job.outputs()[-1]
    assert "PSNR" in final[5] and "nan" not in final[5].lower()
