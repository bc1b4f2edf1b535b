// The kernel-origin explorer of Chapter 5, without a Python kernel: the FFT results for
// every roll of the zero-padded kernel were computed in Python (utils.playground.
// fft_with_origin) and embedded in the page; the sliders choose which one is shown.
// Called as OriginExplorer(root, data) with data = {k, h, w, reference: [h*w],
// frames: {"dy,dx": [h*w]}, lim}; it builds its own sliders and panels.
function OriginExplorer(root, data) {
  const {el, slider, canvas, column, row, paint, diverging} = Playground;
  root.classList.add("origin-explorer");
  const dy = slider("roll rows", "oe-dy", -data.k, data.k, 0);
  const dx = slider("roll columns", "oe-dx", -data.k, data.k, 0);
  const titles = ["F.conv2d, circular", "FFT with rolled kernel", "difference"];
  const canvases = titles.map(() => canvas("oe-panel", 150));
  const readout = el("div", {class: "oe-readout", style: "margin-top:4px;font-weight:bold"});
  root.append(row(el("div", {}, dy.label, dx.label), ...titles.map((t, i) => column(t, canvases[i]))), readout);
  const colour = diverging(data.lim);

  function update() {
    const fft = data.frames[`${dy.input.value},${dx.input.value}`];
    const diff = fft.map((v, i) => v - data.reference[i]);
    const err = Math.max(...diff.map(Math.abs));
    [data.reference, fft, diff].forEach((values, i) => paint(canvases[i], values, data.h, data.w, colour));
    root.dataset.maxdiff = err.toExponential(2);
    readout.textContent = `max |FFT − F.conv2d| = ${err.toExponential(2)}` +
      (err < 1e-6 ? "  (they agree: the kernel's centre is at the origin)" : "");
  }
  dy.input.addEventListener("input", update);
  dx.input.addEventListener("input", update);
  update();
}
