// The arithmetic explorer of Chapter 2, computed in the browser: no Python kernel needed.
// Called as ArithmeticExplorer(root, data) with data = {start: {size, kernel, stride, padding,
// dilation}, limits: {name: [min, max]}}; it builds a slider per setting and shows the (padded)
// input grid, every position of the kernel's top-left corner, the footprint of one position,
// and the output size from the formula floor((i + 2p - d(k-1) - 1)/s) + 1 -- or why the
// configuration is impossible.
function ArithmeticExplorer(root, data) {
  const {el, slider, row} = Playground;
  root.classList.add("arithmetic-explorer");
  const names = Object.keys(data.limits);
  const sliders = Object.fromEntries(names.map((n) =>
    [n, slider(n, `ae-${n}`, data.limits[n][0], data.limits[n][1], data.start[n])]));
  const svg = el("svg", {class: "ae-grid", width: 10, height: 10});
  const formula = el("div", {class: "ae-formula", style: "margin-top:4px;font-family:monospace"});
  const result = el("div", {class: "ae-result", style: "margin-top:2px;font-weight:bold"});
  root.append(row(el("div", {}, ...names.map((n) => sliders[n].label)), svg), formula, result);

  function rect(x, y, w, h, fill, stroke) {
    svg.append(el("rect", {x, y, width: w, height: h, fill, stroke: stroke || "none"}));
  }

  function update() {
    const v = Object.fromEntries(names.map((n) => [n, parseInt(sliders[n].input.value, 10)]));
    const {size: i, kernel: k, stride: s, padding: p, dilation: d} = v;
    const keff = d * (k - 1) + 1, padded = i + 2 * p;
    const o = Math.floor((padded - keff) / s) + 1;
    formula.textContent = `o = ⌊(i + 2p − d(k−1) − 1) / s⌋ + 1 = ⌊(${i} + ${2 * p} − ${d * (k - 1)} − 1) / ${s}⌋ + 1`;
    svg.replaceChildren();
    const cell = Math.min(24, Math.floor(300 / Math.max(padded, 1)));
    svg.setAttribute("width", padded * cell + 2);
    svg.setAttribute("height", padded * cell + 2);
    for (let r = 0; r < padded; r++)
      for (let c = 0; c < padded; c++) {
        const inside = r >= p && r < p + i && c >= p && c < p + i;
        rect(1 + c * cell, 1 + r * cell, cell, cell, inside ? "#cfe3f7" : "#f2f2f2", "#999");
      }
    if (keff > padded) {
      root.dataset.output = "impossible";
      result.textContent = `Impossible: the kernel spans ${keff} pixels (with dilation ${d}) but the ` +
        `padded input is only ${padded} wide, so it fits nowhere (the formula gives ${o}). ` +
        `PyTorch raises a RuntimeError here.`;
      result.style.color = "#b00020";
      return;
    }
    // every position of the kernel's top-left corner, then the footprint of the first one
    for (let r = 0; r < o; r++)
      for (let c = 0; c < o; c++)
        rect(1 + c * s * cell + cell / 2 - 3, 1 + r * s * cell + cell / 2 - 3, 6, 6, "#1f77b4");
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++)
        rect(1 + b * d * cell + 2, 1 + a * d * cell + 2, cell - 4, cell - 4, "rgba(255,127,14,0.55)", "#d62728");
    root.dataset.output = String(o);
    result.textContent = `Output: ${o} × ${o} (${o * o} kernel positions; dots mark each top-left corner, ` +
      `orange is the first position's footprint).`;
    result.style.color = "";
  }
  names.forEach((n) => sliders[n].input.addEventListener("input", update));
  update();
}
