// The arithmetic explorer of Chapter 2, computed in the browser: no Python kernel needed.
// Called as ArithmeticExplorer(root, data) with data = {start: {size, width, kernel, stride,
// padding, dilation, in_channels, out_channels, groups, padding_mode, flip},
// limits: {name: [min, max]}, modes: [padding modes]} (utils.playground.arithmetic_explorer_html).
// It builds its own controls and shows: the padded input (border cells name the input cell
// they copy), the output grid (hover or tap a cell of either grid: the window an output reads,
// or every output that reads an input cell), the kernel's taps (flipped for true
// convolution), the channels each output channel reads, the formula per axis, the
// nn.Conv2d and F.conv2d lines, and the output size -- or the error PyTorch raises, in
// PyTorch's words, as nn.Conv2d(...)(x) checks them: groups, padding, then the kernel's fit.
function ArithmeticExplorer(root, data) {
  const {el, svgEl, slider, select, checkbox, copyable, row, column} = Playground;
  root.classList.add("arithmetic-explorer");
  const LABELS = {size: "input height", width: "input width", kernel: "kernel_size"};
  const names = Object.keys(data.limits), CHANNELS = ["in_channels", "out_channels", "groups"];
  const sliders = Object.fromEntries(names.map((n) =>
    [n, slider(LABELS[n] || n, `ae-${n}`, data.limits[n][0], data.limits[n][1], data.start[n])]));
  const mode = select("padding_mode", "ae-mode", data.modes, data.start.padding_mode);
  const flip = checkbox("true convolution (flip the kernel)", "ae-flip", data.start.flip);
  const grid = svgEl("svg", {class: "ae-grid"}), out = svgEl("svg", {class: "ae-out"});
  const kernel = svgEl("svg", {class: "ae-kernel"}), channels = svgEl("svg", {class: "ae-channels"});
  const mono = "font-family:monospace;margin-top:4px";
  const formula = el("div", {class: "ae-formula", style: mono});
  const result = el("div", {class: "ae-result", style: "margin-top:2px;font-weight:bold"});
  const weights = el("div", {class: "ae-weights", style: mono + ";max-width:28em"});
  const module = copyable("ae-module"), functional = copyable("ae-functional");
  root.append(
    row(el("div", {}, ...names.filter((n) => !CHANNELS.includes(n)).map((n) => sliders[n].label),
           mode.label, flip.label),
        column("input, padded", grid), column("output", out), column("kernel taps", kernel)),
    el("div", {style: "font-size:0.85em;color:#555"}, "Hover or tap a cell: an output cell shows " +
       "the window it reads (darkest: weight w00), an input cell every output that reads it."),
    formula, result,
    row(el("div", {}, ...CHANNELS.map((n) => sliders[n].label)), column("channels", channels), weights),
    el("div", {style: "margin-top:4px"}, el("b", {}, "In PyTorch"), " (x: input, w: weight)"),
    module.box, functional.box);

  // What nn.Conv2d(...)(torch.zeros(1, in, h, w)) does: the output size, or its error.
  function compute(v) {
    const {size: h, width: w, kernel: k, stride: s, padding: p, dilation: d} = v;
    const {in_channels: cin, out_channels: cout, groups: g, mode: m} = v;
    const keff = d * (k - 1) + 1, H = h + 2 * p, W = w + 2 * p;
    const o = [h, w].map((i) => Math.floor((i + 2 * p - keff) / s) + 1);
    const fail = (error, why, padding) => ({o, keff, H, W, error, why, padding: Boolean(padding)});
    if (cin % g) return fail("ValueError: in_channels must be divisible by groups",
                             `in_channels = ${cin} is not a multiple of groups = ${g}`);
    if (cout % g) return fail("ValueError: out_channels must be divisible by groups",
                              `out_channels = ${cout} is not a multiple of groups = ${g}`);
    if (m === "reflect" && (p >= w || p >= h)) {
      const [arg, dim] = p >= w ? [4, 3] : [6, 2];
      return fail(`RuntimeError: Argument #${arg}: Padding size should be less than the corresponding ` +
        `input dimension, but got: padding (${p}, ${p}) at dimension ${dim} of input [1, ${cin}, ${h}, ${w}]`,
        `reflect padding mirrors the input without repeating its edge, so padding ${p} needs an ` +
        `input of at least ${p + 1} per axis`, true);
    }
    if (m === "circular" && (p > w || p > h))
      return fail("RuntimeError: Padding value causes wrapping around more than once.",
        `circular padding copies the opposite edge, at most the whole input: padding ${p} needs ` +
        `an input of at least ${p} per axis`, true);
    if (keff > H || keff > W)
      return fail(`RuntimeError: Calculated padded input size per channel: (${H} x ${W}). Kernel size: ` +
        `(${keff} x ${keff}). Kernel size can't be greater than actual input size`,
        `the kernel spans ${keff} pixels${d > 1 ? ` (dilation ${d})` : ""} but the padded input is ${H} × ${W}`);
    return {o, keff, H, W, error: null};
  }

  // the input index a padded index i - p holds along an axis of n cells (null: a zero)
  function fold(i, n, m) {
    if (m === "reflect") return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
    if (m === "replicate") return Math.min(n - 1, Math.max(0, i));
    if (m === "circular") return ((i % n) + n) % n;
    return i >= 0 && i < n ? i : null;
  }

  // the same lines as utils.playground.arithmetic_setting(...)["code"]
  function code(v) {
    const {kernel: k, stride: s, padding: p, dilation: d, groups: g, mode: m} = v;
    const w = v.flip ? "w.flip(-2, -1)" : "w";
    const conv = `nn.Conv2d(${v.in_channels}, ${v.out_channels}, kernel_size=${k}, stride=${s}, ` +
      `padding=${p}, dilation=${d}, groups=${g}, padding_mode="${m}")`;
    const f = m === "zeros" ? `F.conv2d(x, ${w}, stride=${s}, padding=${p}, dilation=${d}, groups=${g})`
      : `F.conv2d(F.pad(x, (${p}, ${p}, ${p}, ${p}), mode="${m}"), ${w}, stride=${s}, dilation=${d}, groups=${g})`;
    return [conv, f];
  }
  root.aeModel = {compute, fold, code};           // for the browser tests

  const name = (r, c) => `${String.fromCharCode(97 + r)}${c + 1}`;      // input cell "b3"
  const tapColour = (wa, wb, k) => `hsl(25,95%,${35 + 45 * (k > 1 ? (wa * k + wb) / (k * k - 1) : 0)}%)`;

  // a cell of a grid: a rect (with a tooltip) and its label, which lets the pointer through
  function cell(svg, x, y, size, fill, label, title, attrs) {
    const r = svgEl("rect", {x, y, width: size, height: size, fill, stroke: "#999", ...attrs},
                    svgEl("title", {}, title));
    r.dataset.fill = fill;
    svg.append(r);
    if (label) svg.append(svgEl("text", {x: x + size / 2, y: y + size / 2, "font-size": Math.max(6, size * 0.4),
      "text-anchor": "middle", "dominant-baseline": "central", "pointer-events": "none"}, label));
    return r;
  }
  function size(svg, w, h) { svg.setAttribute("width", w + 2); svg.setAttribute("height", h + 2); }

  let view = null;        // what the hover handlers need: the current setting and its cells
  function clear() {
    grid.querySelectorAll("rect").forEach((r) => {
      r.classList.remove("ae-hl", "ae-src"); r.setAttribute("fill", r.dataset.fill);
      r.setAttribute("stroke", "#999"); r.removeAttribute("data-w");
    });
    out.querySelectorAll("rect").forEach((r) => { r.classList.remove("ae-hl"); r.setAttribute("fill", r.dataset.fill); });
  }
  function showWindow(r, c) {              // output (r, c): the k*k cells it reads, coloured by weight
    clear();
    const {v, cells, outs, taps} = view;
    outs[r][c].classList.add("ae-hl"); outs[r][c].setAttribute("fill", "#2ca02c");
    taps.forEach(([da, db, wa, wb]) => {
      const rect = cells[r * v.stride + da][c * v.stride + db];
      rect.classList.add("ae-hl"); rect.dataset.w = `${wa},${wb}`;
      rect.setAttribute("fill", tapColour(wa, wb, v.kernel)); rect.setAttribute("stroke", "#d62728");
    });
  }
  function showReaders(R, C) {             // input cell: itself, its copies and every output reading them
    clear();
    const {v, cells, outs, taps, src} = view;
    const key = src[R][C] ? src[R][C].join() : `zero ${R},${C}`;
    const same = (a, b) => (src[a][b] ? src[a][b].join() : `zero ${a},${b}`) === key;
    cells.forEach((line, a) => line.forEach((rect, b) => {
      if (same(a, b)) { rect.classList.add("ae-src"); rect.setAttribute("fill", "#ffd54f"); rect.setAttribute("stroke", "#d62728"); }
    }));
    outs.forEach((line, r) => line.forEach((rect, c) => {
      if (taps.some(([da, db]) => same(r * v.stride + da, c * v.stride + db))) {
        rect.classList.add("ae-hl"); rect.setAttribute("fill", "#2ca02c");
      }
    }));
  }

  function update() {
    const v = Object.fromEntries(names.map((n) => [n, parseInt(sliders[n].input.value, 10)]));
    v.mode = mode.input.value; v.flip = flip.input.checked;
    const {size: h, width: w, kernel: k, stride: s, padding: p, dilation: d} = v;
    const res = compute(v), [oh, ow] = res.o, px = Math.min(26, Math.floor(300 / Math.max(res.H, res.W, 1)));
    const taps = [];
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++) taps.push([a * d, b * d, ...(v.flip ? [k - 1 - a, k - 1 - b] : [a, b])]);
    // the padded input: each border cell names the input cell it copies, or holds 0
    grid.replaceChildren(); size(grid, res.W * px, res.H * px);
    const src = [], cells = [];
    for (let R = 0; R < res.H; R++) {
      src.push([]); cells.push([]);
      for (let C = 0; C < res.W; C++) {
        const inside = R >= p && R < p + h && C >= p && C < p + w;
        const rc = res.padding ? (inside ? [R - p, C - p] : null) : [fold(R - p, h, v.mode), fold(C - p, w, v.mode)];
        const from = rc && rc[0] !== null && rc[1] !== null ? rc : null;
        const label = from ? name(...from) : res.padding ? "?" : "0";
        const title = inside ? `input cell ${label}` : from ? `${v.mode} padding: a copy of input cell ${label}`
          : res.padding ? "PyTorch cannot pad this" : "zero padding";
        src[R].push(from);
        cells[R].push(cell(grid, 1 + C * px, 1 + R * px, px, inside ? "#cfe3f7" : from ? "#fde3c8" : "#f2f2f2",
                           label, title, {"data-src": from ? from.join() : "zero"}));
        cells[R][C].addEventListener("mouseenter", () => showReaders(R, C));
        cells[R][C].addEventListener("click", () => showReaders(R, C));
      }
    }
    // the kernel: which weight each tap multiplies (flipped for true convolution)
    kernel.replaceChildren(); size(kernel, k * 26, k * 26);
    taps.forEach(([, , wa, wb], t) => cell(kernel, 1 + (t % k) * 26, 1 + Math.floor(t / k) * 26, 26,
      tapColour(wa, wb, k), `w${wa}${wb}`, `this tap multiplies w[${wa}, ${wb}]`, {"data-w": `${wa},${wb}`}));
    // the output grid, each cell hoverable
    out.replaceChildren();
    const outs = [];
    if (!res.error) {
      size(out, ow * px, oh * px);
      for (let r = 0; r < oh; r++) {
        outs.push([]);
        for (let c = 0; c < ow; c++) {
          const rect = cell(out, 1 + c * px, 1 + r * px, px, "#d5ecd4", "", `output (${r}, ${c})`, {class: "ae-ocell"});
          rect.addEventListener("mouseenter", () => showWindow(r, c));
          rect.addEventListener("click", () => showWindow(r, c));
          outs[r].push(rect);
        }
      }
    } else size(out, 0, 0);
    view = {v, cells, outs, taps, src};
    drawChannels(v, res);
    formula.replaceChildren(...["height", "width"].map((axis, j) => el("div", {},
      `${axis}: o = ⌊(i + 2p − d(k−1) − 1) / s⌋ + 1 = ⌊(${[h, w][j]} + ${2 * p} − ${d * (k - 1)} − 1) / ${s}⌋ + 1` +
      ` = ${res.o[j]}` + (res.o[j] < 1 ? " (no position fits)" : ""))));
    const [conv, f] = code(v);
    module.code.textContent = conv; functional.code.textContent = f;
    module.button.textContent = functional.button.textContent = "copy";
    if (res.error) {
      root.dataset.output = "impossible";
      result.textContent = `Impossible: ${res.why}. PyTorch raises ${res.error}`;
      result.style.color = "#b00020";
      return;
    }
    root.dataset.output = oh === ow ? String(oh) : `${oh}x${ow}`;
    result.textContent = `Output: ${oh} × ${ow} (shape (1, ${v.out_channels}, ${oh}, ${ow}); ` +
      `${oh * ow} kernel positions per channel)`;
    result.style.color = "";
  }

  // channels: a line from each output channel to every input channel it reads
  function drawChannels(v, res) {
    const {in_channels: cin, out_channels: cout, groups: g, kernel: k} = v, step = 30;
    channels.replaceChildren(); size(channels, Math.max(cin, cout) * step, 100);
    const x = (i, n) => 1 + (Math.max(cin, cout) - n) * step / 2 + i * step + 3;
    const hue = (j) => `hsl(${(j * 67) % 360},60%,45%)`, ok = cin % g === 0 && cout % g === 0;
    for (let j = 0; ok && j < cout; j++) {
      const group = Math.floor(j / (cout / g));
      for (let i = group * cin / g; i < (group + 1) * cin / g; i++)
        channels.append(svgEl("line", {class: "ae-link", x1: x(i, cin) + 12, y1: 25, x2: x(j, cout) + 12,
                                       y2: 75, stroke: hue(group), "stroke-width": 1.5}));
    }
    for (let i = 0; i < cin; i++) cell(channels, x(i, cin), 1, 24, "#cfe3f7", `x${i}`, `input channel ${i}`, {});
    for (let j = 0; j < cout; j++) cell(channels, x(j, cout), 75, 24, "#d5ecd4", `y${j}`, `output channel ${j}`, {});
    if (!ok) { weights.textContent = `No weight: ${res.why}. PyTorch raises ${res.error}`; return; }
    const n = cout * (cin / g) * k * k;
    const kind = g === 1 ? `dense (groups=1): every output channel reads all ${cin} input channel${cin > 1 ? "s" : ""}`
      : g === cin ? "depthwise (groups=in_channels): each output channel reads one input channel"
      : `${g} groups: each output channel reads ${cin / g} of the ${cin} input channels`;
    weights.textContent = `${kind}. Weight shape (out, in/groups, k, k) = (${cout}, ${cin / g}, ${k}, ${k}): ` +
      `${n} weights + ${cout} ${cout === 1 ? "bias" : "biases"} = ${n + cout} parameters.`;
  }

  names.forEach((n) => sliders[n].input.addEventListener("input", update));
  mode.input.addEventListener("change", update);
  flip.input.addEventListener("change", update);
  grid.addEventListener("mouseleave", clear);
  out.addEventListener("mouseleave", clear);
  update();
}
