// The page of `mnist-handwriting serve`: a drawing pad, a number writer, a number synthesiser and a gallery.
// Points are [x, y, pen_up] with 1.0 = one 28-px digit cell, y down; pen_up = 1 lifts the pen
// after the point (mnist_handwriting/strokes.py).
"use strict";

const STEP_MS = 40;  // time per point of an animation
const RAMP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];  // viridis, as viz/grid.py

function $(id) { return document.getElementById(id); }

function showMessage(text) {
  const box = $("message");
  box.textContent = text || "";
  box.hidden = !text;
}

async function api(method, path, body) {
  const options = {method, headers: {}};
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const reply = await fetch(path, options);
  const data = await reply.json().catch(() => ({error: `server replied ${reply.status}`}));
  if (!reply.ok) throw new Error(data.error || `server replied ${reply.status}`);
  return data;
}

function colour(t) {
  const p = Math.min(Math.max(t, 0), 1) * (RAMP.length - 1);
  const low = Math.min(Math.floor(p), RAMP.length - 2);
  const mix = RAMP[low].map((c, i) => Math.round(c + (RAMP[low + 1][i] - c) * (p - low)));
  return `rgb(${mix.join(",")})`;
}

// Draw the first `count` points of `points` on `canvas`, one digit cell = canvas height; `tint(i)` is the
// colour of the stroke from point i (default: by time along the trajectory).
function drawPoints(canvas, points, count, tint) {
  const g = canvas.getContext("2d");
  const cell = canvas.height;
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.lineCap = "round";
  g.lineJoin = "round";
  const steps = Math.max(points.length - 1, 1);
  tint = tint || ((i) => colour(i / steps));
  for (let i = 0; i + 1 < count; i++) {
    const [x0, y0, up] = points[i];
    const [x1, y1] = points[i + 1];
    g.beginPath();
    if (up) {
      g.setLineDash([cell / 40, cell / 40]);
      g.strokeStyle = "#bbb";
      g.lineWidth = Math.max(1, cell / 140);
    } else {
      g.setLineDash([]);
      g.strokeStyle = tint(i);
      g.lineWidth = Math.max(1.5, cell / 20);
    }
    g.moveTo(x0 * cell, y0 * cell);
    g.lineTo(x1 * cell, y1 * cell);
    g.stroke();
  }
  g.setLineDash([]);
  for (let i = 0; i < count; i++) {  // one-point strokes (dots)
    if ((i === 0 || points[i - 1][2]) && points[i][2]) {
      g.fillStyle = tint(i);
      g.beginPath();
      g.arc(points[i][0] * cell, points[i][1] * cell, Math.max(1.5, cell / 30), 0, 2 * Math.PI);
      g.fill();
    }
  }
  if (count > 0 && count < points.length) {  // the pen
    const [x, y] = points[count - 1];
    g.fillStyle = "#dc1e1e";
    g.beginPath();
    g.arc(x * cell, y * cell, Math.max(2, cell / 35), 0, 2 * Math.PI);
    g.fill();
  }
}

// Animate `points` on `canvas` point by point (coloured by `tint`, see drawPoints); data-state goes
// "drawing" -> "done".
function animate(canvas, points, tint) {
  if (canvas.timer) clearInterval(canvas.timer);
  let count = 0;
  canvas.dataset.state = "drawing";
  canvas.timer = setInterval(() => {
    count += 1;
    drawPoints(canvas, points, count, tint);
    canvas.dataset.drawn = String(count);
    if (count >= points.length) {
      clearInterval(canvas.timer);
      canvas.timer = null;
      canvas.dataset.state = "done";
    }
  }, STEP_MS);
}

function blobLink(link, text, type) {
  if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([text], {type}));
}

// The pointer's position on `canvas`, in canvas pixels.
function canvasPoint(canvas, event) {
  const box = canvas.getBoundingClientRect();
  return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
}

// ---------------------------------------------------------------- drawing pad

const pad = $("pad");
const pen = pad.getContext("2d");
let drawing = false;
let inked = false;

function clearPad() {
  pen.fillStyle = "#fff";
  pen.fillRect(0, 0, pad.width, pad.height);
  inked = false;
}

pad.addEventListener("pointerdown", (event) => {
  drawing = true;
  pad.setPointerCapture(event.pointerId);
  const [x, y] = canvasPoint(pad, event);
  pen.strokeStyle = "#000";
  pen.lineWidth = 24;  // ~2.3 px once a full-height digit is scaled into MNIST's 20-px box, like MNIST strokes
  pen.lineCap = "round";
  pen.lineJoin = "round";
  pen.beginPath();
  pen.moveTo(x, y);
  pen.lineTo(x, y);
  pen.stroke();
  inked = true;
});

pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  const [x, y] = canvasPoint(pad, event);
  pen.lineTo(x, y);
  pen.stroke();
});

function release() {
  if (!drawing) return;
  drawing = false;
  if (inked) sendDrawing();
}
pad.addEventListener("pointerup", release);
pad.addEventListener("pointercancel", release);

function showInput(rows) {
  const canvas = $("input");
  const g = canvas.getContext("2d");
  const side = canvas.width / rows.length;
  g.fillStyle = "#fff";
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = "#000";
  rows.forEach((row, r) => row.forEach((v, c) => { if (v) g.fillRect(c * side, r * side, side, side); }));
}

function showPoints(points) {
  const body = $("points").querySelector("tbody");
  body.replaceChildren(...points.map(([x, y, up], i) => {
    const tr = document.createElement("tr");
    [i, x.toFixed(3), y.toFixed(3), up].forEach((v) => {
      const td = document.createElement("td");
      td.textContent = String(v);
      tr.appendChild(td);
    });
    return tr;
  }));
}

async function sendDrawing() {
  const choice = $("label-choice").value;
  const body = {image: pad.toDataURL("image/png")};
  if (choice !== "") body.label = Number(choice);
  try {
    const result = await api("POST", "/api/draw", body);
    showMessage("");
    $("label").textContent = String(result.label);
    $("label-source").textContent = result.predicted
      ? `(recognised, ${Math.round(result.confidence * 100)}% sure; ${result.converter})`
      : `(given; ${result.converter})`;
    showInput(result.input);
    drawings = result.proposals || [{points: result.points, svg: result.svg, stroke3: result.stroke3}];
    $("proposal-nav").hidden = !result.proposals;
    showDrawing(result.label, 0);
    $("downloads").hidden = false;
  } catch (error) {
    showMessage(error.message);
  }
}

// The drawing orders of the last reply (one, or a proposals model's, most probable first) and the one shown.
let drawings = [];
let shown = 0;
let shownLabel = null;

function showDrawing(label, index) {
  shownLabel = label;
  shown = (index + drawings.length) % drawings.length;
  const drawing = drawings[shown];
  if (drawing.probability !== undefined) {
    $("proposal-caption").textContent =
      `drawing order ${shown + 1} of ${drawings.length} (${Math.round(drawing.probability * 100)}%)`;
  }
  showPoints(drawing.points);
  animate($("trajectory"), drawing.points);
  blobLink($("download-svg"), drawing.svg, "image/svg+xml");
  blobLink($("download-json"), JSON.stringify({label, points: drawing.points}), "application/json");
  blobLink($("download-stroke3"), "dx,dy,pen_up\n" + drawing.stroke3.map((r) => r.join(",")).join("\n") + "\n",
           "text/csv");
}

$("proposal-previous").addEventListener("click", () => showDrawing(shownLabel, shown - 1));
$("proposal-next").addEventListener("click", () => showDrawing(shownLabel, shown + 1));

$("clear").addEventListener("click", clearPad);
clearPad();

// ---------------------------------------------------------------- numbers

$("write-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = {text: $("write-text").value, seed: Math.floor(Math.random() * 1e6)};
  const style = $("write-style").value;
  if (style !== "") body.style = Number(style);
  try {
    const result = await api("POST", "/api/write", body);
    showMessage("");
    const canvas = $("writing");
    canvas.width = Math.ceil(result.width * canvas.height);
    animate(canvas, result.points);
  } catch (error) {
    showMessage(error.message);
  }
});

// ---------------------------------------------------------------- synthesis

const primePad = $("prime-pad");
const primeInk = primePad.getContext("2d");
let priming = false;
let primePoints = [];  // the drawn prime: [x, y, pen_up] in the writing frame (canvas height = 1.0)

function clearPrime() {
  primeInk.clearRect(0, 0, primePad.width, primePad.height);
  primeInk.strokeStyle = "#000";
  primeInk.lineWidth = 5;
  primeInk.lineCap = "round";
  primeInk.lineJoin = "round";
  primePoints = [];
}

function primeTo(event) {
  const [x, y] = canvasPoint(primePad, event);
  primePoints.push([x / primePad.height, y / primePad.height, 0]);
  primeInk.lineTo(x, y);
  primeInk.stroke();
}

primePad.addEventListener("pointerdown", (event) => {
  priming = true;
  primePad.setPointerCapture(event.pointerId);
  primeInk.beginPath();
  primeInk.moveTo(...canvasPoint(primePad, event));
  primeTo(event);
});

primePad.addEventListener("pointermove", (event) => { if (priming) primeTo(event); });

function endPrimeStroke() {
  if (!priming) return;
  priming = false;
  primePoints[primePoints.length - 1][2] = 1;
}
primePad.addEventListener("pointerup", endPrimeStroke);
primePad.addEventListener("pointercancel", endPrimeStroke);

// The text's characters in the colours of their points, each titled with its points.
function showAlignment(result, shade) {
  $("synthesis-legend").replaceChildren(...[...result.text].map((char, i) => {
    const span = document.createElement("span");
    const [start, stop] = result.spans[i];
    span.textContent = char;
    span.style.color = shade(i);
    span.title = stop > start ? `'${char}': points ${start}-${stop - 1}` : `'${char}': no points`;
    return span;
  }));
}

$("synthesize-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = {text: $("synthesize-text").value};
  for (const name of ["bias", "seed"]) {
    const value = $(`synthesize-${name}`).value;
    if (value !== "") body[name] = Number(value);
  }
  const hand = $("synthesize-hand").value;
  if (hand === "drawn") body.prime = {text: $("prime-text").value, points: primePoints};
  else if (hand !== "") body.writer = Number(hand);
  try {
    const result = await api("POST", "/api/synthesize", body);
    showMessage("");
    const canvas = $("synthesis");
    canvas.width = Math.ceil(result.width * canvas.height);
    const shade = (character) => colour(character / Math.max(result.text.length - 1, 1));
    showAlignment(result, shade);
    animate(canvas, result.points, (i) => shade(result.alignment[i]));
  } catch (error) {
    showMessage(error.message);
  }
});

for (let writer = 1; writer <= 30; writer++) $("synthesize-hand").add(new Option(`pendigits writer ${writer}`, writer));
$("prime-clear").addEventListener("click", clearPrime);
clearPrime();

// ---------------------------------------------------------------- gallery

async function loadGallery() {
  try {
    const result = await api("GET", `/api/gallery?count=12&seed=${Math.floor(Math.random() * 1e6)}`);
    $("gallery").replaceChildren(...result.digits.map((digit) => {
      const figure = document.createElement("figure");
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 84;
      const caption = document.createElement("figcaption");
      caption.textContent = `${digit.label} (#${digit.index})`;
      figure.append(canvas, caption);
      animate(canvas, digit.points);
      return figure;
    }));
  } catch (error) {
    $("gallery").textContent = error.message;
  }
}

$("gallery-more").addEventListener("click", loadGallery);
loadGallery();
