"""utils.onednn (Chapter 3): the primitives oneDNN runs, parsed from its verbose output."""
import pytest
import torch
import torch.nn.functional as F

from utils.onednn import _parse, capture_c_output, onednn_primitives

LINE = ("onednn_verbose,v1,primitive,exec,cpu,convolution,jit:avx512_core,forward_training,"
        "src:f32:a:blocked:aBcd16b::f0 wei:f32:a:blocked:ABcd16b16a::f0 bia:undef::undef::: "
        "dst:f32:a:blocked:aBcd16b::f0,attr-scratchpad:user,alg:convolution_direct,"
        "mb64_ic16oc32_ih28oh28kh3sh1dh0ph1_iw28ow28kw3sw1dw0pw1,11.4")


def test_parse_a_convolution_line():
    p = _parse(LINE)
    assert (p.operation, p.implementation, p.algorithm) == ("convolution", "jit:avx512_core",
                                                            "convolution_direct")
    assert p.formats == {"src": "aBcd16b", "wei": "ABcd16b16a", "dst": "aBcd16b"}
    assert p.problem.startswith("mb64_ic16oc32")
    assert _parse("onednn_verbose,v1,info,cpu,isa:Intel AVX2") is None


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="no oneDNN in this build")
def test_a_batched_conv2d_runs_a_onednn_convolution():
    x, w = torch.randn(8, 16, 14, 14), torch.randn(16, 16, 3, 3)
    prims = onednn_primitives(lambda: F.conv2d(x, w, padding=1))
    convs = [p for p in prims if p.operation == "convolution"]
    assert convs and convs[0].problem.startswith("mb8_ic16oc16")


def test_bad_argument():
    with pytest.raises(TypeError, match="fn"):
        onednn_primitives(3)


def test_capture_c_output_sees_what_c_writes():
    import ctypes
    libc = ctypes.CDLL(None)
    out = capture_c_output(lambda: libc.printf(b"hello from C\n"))
    assert "hello from C" in out
