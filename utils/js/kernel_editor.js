// The kernel editor of Chapter 1, computed in the browser: no Python kernel needed.
// Called as KernelEditor(root, data) where data = {digits: [[784 ints 0..255], ...],
// labels: [...], presets: {name: [9 numbers]}, start: name}; it builds its own controls.
function KernelEditor(root, data) {
  const N = 28, K = 3, M = N - K + 1;
  const {el, canvas, column, row, paint, grey, diverging} = Playground;
  root.classList.add("kernel-editor");
  const inputs = [], grid = el("div");
  for (let i = 0; i < K * K; i++) {
    inputs.push(el("input", {class: "ke-w", type: "number", step: "0.5", value: "0",
                             "aria-label": `weight row ${Math.floor(i / K)} col ${i % K}`,
                             style: "width:4.2em;text-align:center"}));
    grid.append(inputs[i]);
    if (i % K === K - 1) grid.append(el("br"));
  }
  const preset = el("select", {class: "ke-preset"}, el("option", {value: ""}, "(custom)"),
                    ...Object.keys(data.presets).map((k) => el("option", {value: k}, k)));
  const digitSel = el("select", {class: "ke-digit"}, ...data.digits.map((_, i) =>
    el("option", {value: String(i)}, `digit #${i}` + (data.labels[i] === null ? "" : ` (a ${data.labels[i]})`))));
  const cvIn = canvas("ke-in", 168), cvOut = canvas("ke-out", 168);
  const readout = el("div", {class: "ke-readout", style: "margin-top:4px"});
  root.append(row(column("kernel", el("div", {}, grid, el("label", {}, "preset ", preset), el("br"),
                                       el("label", {}, "image ", digitSel))),
                  column("input", cvIn), column("output", cvOut, "(red +, blue −)")), readout);

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

  function update() {
    const img = data.digits[parseInt(digitSel.value, 10)].map((v) => v / 255);
    const w = inputs.map((e) => parseFloat(e.value) || 0);
    const lim = Math.max(...w.map(Math.abs)) || 1;
    inputs.forEach((e, i) => { e.style.background = diverging(lim, 0.45)(w[i]); });  // light: stays legible
    const out = correlate(img, w);
    let lo = Infinity, hi = -Infinity, arg = 0;
    out.forEach((v, i) => { if (v < lo) lo = v; if (v > hi) { hi = v; arg = i; } });
    paint(cvIn, img, N, N, grey);
    paint(cvOut, out, M, M, diverging(Math.max(Math.abs(lo), Math.abs(hi))));
    readout.textContent = `output ${M}×${M}: min ${lo.toFixed(3)}, max ${hi.toFixed(3)} ` +
      `at row ${Math.floor(arg / M)}, col ${arg % M}`;
    root.dataset.max = hi.toFixed(4);
    root.dataset.min = lo.toFixed(4);
  }

  function applyPreset() {
    const w = data.presets[preset.value];
    if (!w) return;
    inputs.forEach((e, i) => { e.value = String(Math.round(w[i] * 1000) / 1000); });
    update();
  }

  inputs.forEach((e) => e.addEventListener("input", () => { preset.value = ""; update(); }));
  preset.addEventListener("change", applyPreset);
  digitSel.addEventListener("change", update);
  preset.value = data.start;
  applyPreset();
}
