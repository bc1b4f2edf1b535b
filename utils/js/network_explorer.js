// The network explorer of Chapter 10: the chapter's trained network (batch norm folded into
// its convolutions) runs here in the browser, no Python kernel needed. Called as
// NetworkExplorer(root, data) with data from utils/playground/network.py: {layers: [{shape:
// [out, in, k, k], stride, padding, relu, rf, jump, start, size, weight, bias}], digits,
// labels, preds} (weights base64 float32, digits base64 bytes, 784 per digit).
// The reader draws a digit, or steps through the given digits; the page shows the 28x28
// input, every layer's feature maps and the class probabilities. Clicking a feature-map cell
// outlines its receptive field on the input, from the rf/jump/start exported by Python.
function NetworkExplorer(root, data) {
  const {el, canvas, column, row, paint, grey, diverging} = Playground;
  root.classList.add("network-explorer");
  const bytes = (b64) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  const floats = (b64) => new Float32Array(bytes(b64).buffer);
  const layers = data.layers.map((l) => ({...l, w: floats(l.weight), b: floats(l.bias)}));
  const digits = bytes(data.digits);

  // ---- the forward pass: x is {c, h, w, v: Float64Array}; returns every layer's output
  function conv(x, l) {
    const [co, ci, k] = l.shape, s = l.stride, p = l.padding;
    const oh = Math.floor((x.h + 2 * p - k) / s) + 1, ow = Math.floor((x.w + 2 * p - k) / s) + 1;
    const v = new Float64Array(co * oh * ow);
    for (let o = 0; o < co; o++)
      for (let r = 0; r < oh; r++)
        for (let c = 0; c < ow; c++) {
          let sum = l.b[o];
          for (let i = 0; i < ci; i++)
            for (let a = 0; a < k; a++) {
              const y = r * s - p + a;
              if (y < 0 || y >= x.h) continue;
              for (let b = 0; b < k; b++) {
                const xx = c * s - p + b;
                if (xx >= 0 && xx < x.w) sum += l.w[((o * ci + i) * k + a) * k + b] * x.v[(i * x.h + y) * x.w + xx];
              }
            }
          v[(o * oh + r) * ow + c] = l.relu ? Math.max(0, sum) : sum;
        }
    return {c: co, h: oh, w: ow, v};
  }
  function forward(pixels) {                 // pixels: 784 values in [0, 1]
    const outs = [];
    let x = {c: 1, h: 28, w: 28, v: Float64Array.from(pixels)};
    for (const l of layers) { x = conv(x, l); outs.push(x); }
    return outs;                             // the last is 10 x 1 x 1: the logits
  }
  function softmax(z) {
    const m = Math.max(...z), e = z.map((v) => Math.exp(v - m)), t = e.reduce((a, b) => a + b);
    return e.map((v) => v / t);
  }
  root.logits = (pixels) => Array.from(forward(pixels).at(-1).v);    // used by the tests

  // ---- preprocessing like MNIST: the ink's bounding box scaled to fit 20x20 (keeping its
  // aspect), placed so its centre of mass lands on the centre of the 28x28 image
  function preprocess(src) {
    const {width: W, height: H} = src, ink = src.getContext("2d").getImageData(0, 0, W, H).data;
    let x0 = W, y0 = H, x1 = -1, y1 = -1, m = 0, mx = 0, my = 0;
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const a = ink[(y * W + x) * 4 + 3] / 255;
        if (!a) continue;
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
        m += a; mx += a * (x + 0.5); my += a * (y + 0.5);
      }
    const out = new Float64Array(784);
    if (x1 < 0) return out;
    const scale = 20 / Math.max(x1 - x0 + 1, y1 - y0 + 1);
    const small = el("canvas", {width: 28, height: 28}), ctx = small.getContext("2d");
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(src, x0, y0, x1 - x0 + 1, y1 - y0 + 1, 14 - (mx / m - x0) * scale, 14 - (my / m - y0) * scale,
                  (x1 - x0 + 1) * scale, (y1 - y0 + 1) * scale);
    const a = ctx.getImageData(0, 0, 28, 28).data;
    for (let i = 0; i < 784; i++) out[i] = a[i * 4 + 3] / 255;
    return out;
  }

  // ---- the controls and views
  const pad = canvas("ne-draw", 196);
  pad.style.touchAction = "none";
  pad.style.cursor = "crosshair";
  const clear = el("button", {class: "ne-clear", type: "button"}, "clear");
  const mode = el("select", {class: "ne-mode", "aria-label": "input"},
                  el("option", {value: "draw"}, "draw a digit"),
                  el("option", {value: "wrong"}, `the ${data.labels.length} validation digits it gets wrong`));
  const prev = el("button", {class: "ne-prev", type: "button"}, "◀"), next = el("button", {class: "ne-next", type: "button"}, "▶");
  const caption = el("span", {class: "ne-caption"});
  const input = canvas("ne-input", 140);
  const overlay = el("div", {style: "position:relative;display:inline-block"}, input);
  const box = el("div", {class: "ne-rf", style: "position:absolute;border:2px solid #ff7f0e;display:none;pointer-events:none"});
  overlay.append(box);
  const bars = el("div", {class: "ne-bars", style: "font-family:monospace"});
  const maps = el("div", {class: "ne-maps"});
  const info = el("div", {class: "ne-info", style: "min-height:1.2em"}, "Click a feature-map cell to see what part of the input it sees.");
  root.append(row(column("Draw here", el("div", {}, pad, el("br"), clear)),
                  column("Input the network sees (28×28)", overlay),
                  column("Probabilities", bars)),
              el("div", {style: "margin:6px 0"}, mode, " ", prev, " ", next, " ", caption), info, maps);

  const barRows = Array.from({length: 10}, (_, d) => {
    const fill = el("span", {style: "display:inline-block;height:12px;background:#1f77b4;vertical-align:middle"});
    const text = el("span", {});
    bars.append(el("div", {class: "ne-bar", "data-class": d}, `${d} `, fill, " ", text));
    return {fill, text};
  });
  const mapCanvases = layers.map((l, i) => {
    const [co] = l.shape, px = Math.max(2, Math.floor((l.size >= 4 ? 42 : 20) / l.size));
    const cs = Array.from({length: co}, (_, ch) => {
      const c = el("canvas", {class: "ne-map", width: l.size * px, height: l.size * px,
                              "data-layer": i, "data-channel": ch, style: "margin:1px;border:1px solid #ddd;cursor:pointer"});
      c.addEventListener("click", (e) => {
        const r = Math.min(l.size - 1, Math.floor(e.offsetY / px)), col = Math.min(l.size - 1, Math.floor(e.offsetX / px));
        showField(i, ch, r, col);
      });
      return c;
    });
    const title = i === layers.length - 1 ? `layer ${i + 1}: the ${co} class scores` : `layer ${i + 1}: ${co} maps of ${l.size}×${l.size}`;
    maps.append(el("div", {style: "margin-top:4px"}, el("b", {}, title), el("br"), ...cs));
    return cs;
  });

  // the receptive field of unit (r, c) of layer i: centre start + jump * index, rf pixels wide
  function showField(i, ch, r, c) {
    const l = layers[i], half = (l.rf - 1) / 2, cell = input.width / 28;
    const lo = (t) => Math.max(0, l.start + l.jump * t - half), hi = (t) => Math.min(27, l.start + l.jump * t + half);
    const [r0, r1, c0, c1] = [lo(r), hi(r), lo(c), hi(c)];
    Object.assign(box.style, {display: "block", left: `${c0 * cell}px`, top: `${r0 * cell}px`,
                              width: `${(c1 - c0 + 1) * cell - 4}px`, height: `${(r1 - r0 + 1) * cell - 4}px`});
    root.dataset.field = [r0, r1, c0, c1].join(",");
    info.textContent = `Layer ${i + 1}, map ${ch}, cell (${r}, ${c}) sees input rows ${r0}–${r1} and columns ` +
      `${c0}–${c1} (receptive field ${l.rf}×${l.rf}, jump ${l.jump}).`;
  }

  function show(pixels) {
    paint(input, pixels, 28, 28, (v) => grey(1 - v));
    const outs = forward(pixels), p = softmax(Array.from(outs.at(-1).v));
    outs.forEach((o, i) => {
      const n = o.h * o.w, lim = Math.max(1e-6, ...o.v.map(Math.abs));
      mapCanvases[i].forEach((c, ch) => paint(c, o.v.subarray(ch * n, (ch + 1) * n), o.h, o.w, diverging(lim)));
    });
    const best = p.indexOf(Math.max(...p));
    p.forEach((v, d) => {
      barRows[d].fill.style.width = `${Math.round(120 * v)}px`;
      barRows[d].fill.style.background = d === best ? "#d62728" : "#1f77b4";
      barRows[d].text.textContent = v.toFixed(3);
    });
    root.dataset.prediction = String(best);
  }

  // ---- drawing with mouse or touch (pointer events)
  const pen = pad.getContext("2d");
  let drawing = false, last = null, index = 0;
  const at = (e) => { const b = pad.getBoundingClientRect(); return [e.clientX - b.left, e.clientY - b.top]; };
  pad.addEventListener("pointerdown", (e) => {
    if (mode.value !== "draw") { mode.value = "draw"; pen.clearRect(0, 0, pad.width, pad.height); }
    drawing = true; last = at(e); pad.setPointerCapture(e.pointerId); stroke(last);
  });
  pad.addEventListener("pointermove", (e) => { if (drawing) stroke(at(e)); });
  const stop = () => { if (drawing) { drawing = false; show(preprocess(pad)); } };
  pad.addEventListener("pointerup", stop);
  pad.addEventListener("pointercancel", stop);
  function stroke(p) {
    Object.assign(pen, {lineWidth: 14, lineCap: "round", lineJoin: "round", strokeStyle: "black"});
    pen.beginPath(); pen.moveTo(...last); pen.lineTo(p[0] + 0.01, p[1]); pen.stroke();
    last = p;
    show(preprocess(pad));
  }
  clear.addEventListener("click", () => { pen.clearRect(0, 0, pad.width, pad.height); mode.value = "draw"; update(); });

  function update() {
    const stepping = mode.value === "wrong";
    prev.disabled = next.disabled = !stepping;
    if (!stepping) { caption.textContent = ""; show(preprocess(pad)); return; }
    const n = data.labels.length;
    index = ((index % n) + n) % n;
    show(Array.from(digits.subarray(index * 784, (index + 1) * 784), (v) => v / 255));
    caption.textContent = `digit ${index + 1} of ${n}: labelled ${data.labels[index]}, the trained network said ${data.preds[index]}`;
  }
  mode.addEventListener("change", update);
  prev.addEventListener("click", () => { index -= 1; update(); });
  next.addEventListener("click", () => { index += 1; update(); });
  mode.value = data.labels.length ? "wrong" : "draw";
  update();
}
