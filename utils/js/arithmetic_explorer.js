// The arithmetic explorer of Chapter 8, computed in the browser: no Python kernel needed.
// Called as ArithmeticExplorer(root). Shows the (padded) input grid, every position of the
// kernel's top-left corner, the footprint of one position, and the output size from the
// formula floor((i + 2p - d(k-1) - 1)/s) + 1 -- or why the configuration is impossible.
function ArithmeticExplorer(root) {
  const $ = (sel) => root.querySelector(sel);
  const names = ["size", "kernel", "stride", "padding", "dilation"];
  const ctl = Object.fromEntries(names.map((n) => [n, $(`input.ae-${n}`)]));
  const shown = Object.fromEntries(names.map((n) => [n, $(`.ae-val-${n}`)]));
  const svg = $("svg.ae-grid"), formula = $(".ae-formula"), result = $(".ae-result");
  const NS = "http://www.w3.org/2000/svg";

  function rect(x, y, w, h, fill, stroke, extra) {
    const e = document.createElementNS(NS, "rect");
    Object.entries({x, y, width: w, height: h, fill, stroke: stroke || "none", ...(extra || {})})
      .forEach(([k, v]) => e.setAttribute(k, v));
    svg.appendChild(e);
    return e;
  }

  function update() {
    const v = Object.fromEntries(names.map((n) => [n, parseInt(ctl[n].value, 10)]));
    names.forEach((n) => { shown[n].textContent = v[n]; });
    const {size: i, kernel: k, stride: s, padding: p, dilation: d} = v;
    const keff = d * (k - 1) + 1, padded = i + 2 * p;
    const o = Math.floor((padded - keff) / s) + 1;
    formula.textContent = `o = ⌊(i + 2p − d(k−1) − 1) / s⌋ + 1 = ⌊(${i} + ${2 * p} − ${d * (k - 1)} − 1) / ${s}⌋ + 1`;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
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
  names.forEach((n) => ctl[n].addEventListener("input", update));
  update();
}
