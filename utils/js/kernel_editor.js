// The kernel editor of Chapter 1, computed in the browser: no Python kernel needed.
// Called as KernelEditor(root, data) where data = {digits: [[784 ints 0..255], ...],
// labels: [...], presets: {name: [9 numbers]}, start: name}. utils/playground.py embeds
// this file and the data into the page.
function KernelEditor(root, data) {
  const N = 28, K = 3, M = N - K + 1;
  const $ = (sel) => root.querySelector(sel);
  const inputs = Array.from(root.querySelectorAll("input.ke-w"));
  const preset = $("select.ke-preset"), digitSel = $("select.ke-digit");
  const cvIn = $("canvas.ke-in"), cvOut = $("canvas.ke-out"), readout = $(".ke-readout");

  function weights() { return inputs.map((el) => parseFloat(el.value) || 0); }

  function correlate(img, w) {            // what F.conv2d computes: no flip, no padding
    const out = new Float64Array(M * M);
    for (let r = 0; r < M; r++)
      for (let c = 0; c < M; c++) {
        let s = 0;
        for (let i = 0; i < K; i++)
          for (let j = 0; j < K; j++) s += w[i * K + j] * img[(r + i) * N + (c + j)];
        out[r * M + c] = s;
      }
    return out;
  }

  function paint(canvas, values, size, colour) {
    const ctx = canvas.getContext("2d"), cell = canvas.width / size;
    for (let r = 0; r < size; r++)
      for (let c = 0; c < size; c++) {
        ctx.fillStyle = colour(values[r * size + c]);
        ctx.fillRect(c * cell, r * cell, Math.ceil(cell), Math.ceil(cell));
      }
  }
  const grey = (v) => { const g = Math.round(255 * v); return `rgb(${g},${g},${g})`; };
  function diverging(lim, strength = 1) {  // blue for negative, white for 0, red for positive
    return (v) => {
      const t = lim > 0 ? Math.max(-1, Math.min(1, v / lim)) : 0;
      const a = Math.round(255 * (1 - strength * Math.abs(t)));
      return t >= 0 ? `rgb(255,${a},${a})` : `rgb(${a},${a},255)`;
    };
  }

  function update() {
    const img = data.digits[parseInt(digitSel.value, 10)].map((v) => v / 255);
    const w = weights();
    inputs.forEach((el, i) => {           // colour each weight like show_kernel does
      const lim = Math.max(...w.map(Math.abs)) || 1;
      el.style.background = diverging(lim, 0.45)(w[i]);   // light, so the number stays legible
    });
    const out = correlate(img, w);
    let lo = Infinity, hi = -Infinity, arg = 0;
    out.forEach((v, i) => { if (v < lo) lo = v; if (v > hi) { hi = v; arg = i; } });
    paint(cvIn, img, N, grey);
    paint(cvOut, out, M, diverging(Math.max(Math.abs(lo), Math.abs(hi))));
    readout.textContent = `output ${M}×${M}: min ${lo.toFixed(3)}, max ${hi.toFixed(3)} ` +
      `at row ${Math.floor(arg / M)}, col ${arg % M}`;
    root.dataset.max = hi.toFixed(4);
    root.dataset.min = lo.toFixed(4);
  }

  function applyPreset() {
    const w = data.presets[preset.value];
    if (!w) return;
    inputs.forEach((el, i) => { el.value = String(Math.round(w[i] * 1000) / 1000); });
    update();
  }

  inputs.forEach((el) => el.addEventListener("input", () => { preset.value = ""; update(); }));
  preset.addEventListener("change", applyPreset);
  digitSel.addEventListener("change", update);
  preset.value = data.start;
  applyPreset();
}
