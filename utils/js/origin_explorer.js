// The kernel-origin explorer of Chapter 4, without a Python kernel: the FFT results for
// every roll of the zero-padded kernel were computed in Python (utils.playground.
// fft_with_origin) and embedded in the page; the sliders choose which one is shown.
// Called as OriginExplorer(root, data) with data = {k, h, w, reference: [h*w],
// frames: {"dy,dx": [h*w]}, lim}.
function OriginExplorer(root, data) {
  const $ = (sel) => root.querySelector(sel);
  const dy = $("input.oe-dy"), dx = $("input.oe-dx"), readout = $(".oe-readout");
  const canvases = Array.from(root.querySelectorAll("canvas.oe-panel"));

  function colour(v) {                    // blue negative, white zero, red positive
    const t = Math.max(-1, Math.min(1, v / data.lim));
    const a = Math.round(255 * (1 - Math.abs(t)));
    return t >= 0 ? `rgb(255,${a},${a})` : `rgb(${a},${a},255)`;
  }
  function paint(canvas, values) {
    const ctx = canvas.getContext("2d"), cw = canvas.width / data.w, ch = canvas.height / data.h;
    for (let r = 0; r < data.h; r++)
      for (let c = 0; c < data.w; c++) {
        ctx.fillStyle = colour(values[r * data.w + c]);
        ctx.fillRect(c * cw, r * ch, Math.ceil(cw), Math.ceil(ch));
      }
  }
  function update() {
    $(".oe-val-dy").textContent = dy.value;
    $(".oe-val-dx").textContent = dx.value;
    const fft = data.frames[`${dy.value},${dx.value}`];
    const diff = fft.map((v, i) => v - data.reference[i]);
    const err = Math.max(...diff.map(Math.abs));
    paint(canvases[0], data.reference);
    paint(canvases[1], fft);
    paint(canvases[2], diff);
    root.dataset.maxdiff = err.toExponential(2);
    readout.textContent = `max |FFT − F.conv2d| = ${err.toExponential(2)}` +
      (err < 1e-6 ? "  (they agree: the kernel's centre is at the origin)" : "");
  }
  dy.addEventListener("input", update);
  dx.addEventListener("input", update);
  update();
}
