// The bitemporal picture, drawn with uPlot: the (E, R) plane where each entry counts, with the
// chosen (R, E) as a draggable cross-hair, and the balance over effective time per knowledge
// layer with the available balance at R. Amounts become numbers here only as coordinates; every
// label and tooltip shows the API's strings.
import uPlot from 'uplot';
import { minuteTimestamp, timeSeconds } from './format.ts';
import type { Band, Layer, Step } from './history-model.ts';

export interface Chosen {
  position: number;
  /** E as a UTC timestamp of the API. */
  effectiveAt: string;
}

export interface AvailablePoint {
  readonly effectiveAt: string;
  readonly availableBalance: string;
}

export interface PictureInput {
  readonly layers: readonly Layer[];
  readonly bands: readonly Band[];
  readonly available: readonly AvailablePoint[];
  readonly head: number;
  readonly timezone: string;
  readonly chosen: Chosen;
  /** The cross-hair moved (dragged or by keys); `done` when the drag ended. */
  readonly onMove: (chosen: Chosen, done: boolean) => void;
  /** A step of the chosen layer under the pointer (null: none), at page coordinates. */
  readonly onHoverStep: (hit: { layer: Layer; step: Step } | null, x: number, y: number) => void;
  /** A band of the plane under the pointer (null: none). */
  readonly onHoverBand: (band: Band | null, x: number, y: number) => void;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
export const layerColor = (index: number) => PALETTE[index % PALETTE.length]!;
/** More layers than this are not all drawn (the table lists them all); the chosen and the head's always are. */
export const MAX_DRAWN_LAYERS = 60;
const DAY = 86_400;
const HOVER_PIXELS = 24;
/** The balance scale is linear within ±ASINH, logarithmic beyond. */
const ASINH = 10;
/** How near a layer's line the pointer must be to pick that layer rather than the chosen one. */
const LINE_PIXELS = 6;

let plane: uPlot | null = null;
let history: uPlot | null = null;
/** Ends the window listeners of the plots drawn last. */
let drawn = new AbortController();

export function clearPicture(): void {
  drawn.abort();
  drawn = new AbortController();
  plane?.destroy();
  history?.destroy();
  plane = null;
  history = null;
}

/** The effective range shown: every step, padded; E outside it is drawn at the edge. */
function effectiveRange(layers: readonly Layer[], available: readonly AvailablePoint[]): [number, number] {
  // The head's layer holds every entry, so every effective time.
  const times = [...(layers.at(-1)?.steps ?? []).map((s) => timeSeconds(s.effectiveAt)), ...available.map((p) => timeSeconds(p.effectiveAt))];
  if (times.length === 0) return [Date.now() / 1000 - DAY, Date.now() / 1000 + DAY];
  const low = Math.min(...times);
  const high = Math.max(...times);
  const pad = Math.max((high - low) * 0.06, DAY / 2);
  return [low - pad, high + pad];
}

const clamp = (v: number, low: number, high: number) => Math.min(Math.max(v, low), high);

function drawCrossHair(u: uPlot, chosen: Chosen, yScale: string | null): void {
  const { ctx, bbox } = u;
  const [x0, x1] = [u.scales.x!.min!, u.scales.x!.max!];
  const e = timeSeconds(chosen.effectiveAt);
  const px = u.valToPos(clamp(e, x0, x1), 'x', true);
  ctx.save();
  ctx.strokeStyle = '#111';
  ctx.lineWidth = 1.5 * uPlot.pxRatio;
  ctx.setLineDash([6 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
  ctx.beginPath();
  ctx.moveTo(px, bbox.top);
  ctx.lineTo(px, bbox.top + bbox.height);
  if (yScale) {
    const py = u.valToPos(chosen.position, yScale, true);
    ctx.moveTo(bbox.left, py);
    ctx.lineTo(bbox.left + bbox.width, py);
  }
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = '#111';
  ctx.font = `${11 * uPlot.pxRatio}px system-ui, sans-serif`;
  const outside = e < x0 ? '← ' : e > x1 ? '→ ' : '';
  ctx.textAlign = px > bbox.left + bbox.width / 2 ? 'right' : 'left';
  const label = `${outside}E${yScale ? `, R = position ${chosen.position}` : ''}`;
  ctx.fillText(label, px + (ctx.textAlign === 'right' ? -4 : 4) * uPlot.pxRatio, bbox.top + 12 * uPlot.pxRatio);
  if (yScale) {
    ctx.beginPath();
    ctx.arc(px, u.valToPos(chosen.position, yScale, true), 5 * uPlot.pxRatio, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.restore();
}

function drawBands(u: uPlot, bands: readonly Band[], head: number): void {
  const { ctx, bbox } = u;
  const right = bbox.left + bbox.width;
  const y = (position: number) => u.valToPos(position - 0.5, 'pos', true);
  const x = (timestamp: string) => clamp(u.valToPos(timeSeconds(timestamp), 'x', true), bbox.left, right);
  ctx.save();
  ctx.font = `${10 * uPlot.pxRatio}px system-ui, sans-serif`;
  for (const band of bands) {
    const positive = !band.amount.startsWith('-');
    ctx.fillStyle = positive ? 'rgba(44, 160, 44, 0.22)' : 'rgba(214, 39, 40, 0.22)';
    ctx.strokeStyle = positive ? '#1e6b34' : '#b3261e';
    ctx.lineWidth = uPlot.pxRatio;
    const left = x(band.effectiveAt);
    const bottom = y(band.position);
    const top = band.reversal ? y(band.reversal.position) : y(head + 1);
    ctx.fillRect(left, top, right - left, bottom - top);
    ctx.strokeRect(left, top, right - left, bottom - top);
    if (band.reversal && band.reversal.effectiveAt > band.effectiveAt) {
      const until = x(band.reversal.effectiveAt);
      ctx.fillRect(left, y(head + 1), until - left, top - y(head + 1));
    }
    ctx.fillStyle = ctx.strokeStyle;
    ctx.textAlign = 'left';
    ctx.fillText(`${band.transactionId} ${positive ? '+' : ''}${band.amount}${band.reversal ? ` (reversed at ${band.reversal.position})` : ''}`, left + 3 * uPlot.pxRatio, bottom - 3 * uPlot.pxRatio);
  }
  ctx.restore();
}

/** The band drawn on top at a point of the plane: the latest recorded one containing it. */
function bandAt(bands: readonly Band[], seconds: number, position: number): Band | null {
  let found: Band | null = null;
  for (const band of bands) {
    if (timeSeconds(band.effectiveAt) > seconds || band.position > position) continue;
    const reversedHere = band.reversal && band.reversal.position <= position && !(band.reversal.effectiveAt > band.effectiveAt && seconds < timeSeconds(band.reversal.effectiveAt));
    if (!reversedHere && (!found || band.position > found.position)) found = band;
  }
  return found;
}

const timeAxis = (timezone: string) => ({ tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1e3), timezone) });

function drawPlane(target: HTMLElement, input: PictureInput, range: [number, number]): uPlot {
  const { bands, head, chosen } = input;
  const u = new uPlot({
    width: Math.max(target.clientWidth - 2, 320), height: 240, ...timeAxis(input.timezone),
    legend: { show: false },
    cursor: { x: false, y: false, points: { show: false }, drag: { x: false, y: false } },
    scales: { x: { time: true, auto: false, range: () => range }, pos: { auto: false, range: () => [0.5, head + 0.5] } },
    series: [{}, { scale: 'pos', stroke: 'transparent', points: { show: false } }],
    axes: [
      { grid: { stroke: '#eef0f3' } },
      { scale: 'pos', label: 'R: log position', labelSize: 20, grid: { stroke: '#eef0f3' }, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10_000, 100_000, 1_000_000],
        values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : '')) },
    ],
    hooks: { draw: [(v) => { drawBands(v, bands, head); drawCrossHair(v, chosen, 'pos'); }] },
  }, [[range[0], range[1]], [null, null]], target);
  wirePlane(u, target, input);
  return u;
}

function wirePlane(u: uPlot, target: HTMLElement, input: PictureInput): void {
  const { chosen, head } = input;
  let dragging = false;
  const pointAt = (event: MouseEvent) => {
    const rect = u.over.getBoundingClientRect();
    return { seconds: u.posToVal(event.clientX - rect.left, 'x'), position: clamp(Math.round(u.posToVal(event.clientY - rect.top, 'pos')), 1, head) };
  };
  const moveTo = (event: MouseEvent, done: boolean) => {
    const point = pointAt(event);
    chosen.position = point.position;
    chosen.effectiveAt = minuteTimestamp(point.seconds);
    u.redraw(false);
    input.onMove(chosen, done);
  };
  u.over.addEventListener('mousedown', (event) => {
    dragging = true;
    input.onHoverBand(null, 0, 0);
    moveTo(event, false);
  });
  u.over.addEventListener('mousemove', (event) => {
    if (dragging) return moveTo(event, false);
    const point = pointAt(event);
    input.onHoverBand(bandAt(input.bands, point.seconds, point.position), event.pageX, event.pageY);
  });
  u.over.addEventListener('mouseleave', () => input.onHoverBand(null, 0, 0));
  window.addEventListener('mouseup', (event) => {
    if (!dragging) return;
    dragging = false;
    moveTo(event, true);
  }, { signal: drawn.signal });
  target.onkeydown = (event) => {
    const step = event.shiftKey ? 3600 : DAY;
    const moves: Record<string, () => void> = {
      ArrowLeft: () => (chosen.effectiveAt = minuteTimestamp(timeSeconds(chosen.effectiveAt) - step)),
      ArrowRight: () => (chosen.effectiveAt = minuteTimestamp(timeSeconds(chosen.effectiveAt) + step)),
      ArrowUp: () => (chosen.position = Math.min(head, chosen.position + 1)),
      ArrowDown: () => (chosen.position = Math.max(1, chosen.position - 1)),
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    move();
    u.redraw(false);
    input.onMove(chosen, true);
  };
}

/** The layers drawn: all of them, or (past MAX_DRAWN_LAYERS) the latest ones with the chosen one. */
export function drawnLayers(layers: readonly Layer[], chosen: Layer | undefined): Layer[] {
  if (layers.length <= MAX_DRAWN_LAYERS) return [...layers];
  const latest = layers.slice(-(MAX_DRAWN_LAYERS - 1));
  return chosen && !latest.includes(chosen) ? [chosen, ...latest] : latest;
}

/** The balance axis' ticks: 0 and ±10, ±100, ... within the scale, each a round figure. */
function powersOfTen(_u: uPlot, _axis: number, min: number, max: number): number[] {
  const ticks = [0];
  for (let power = 1; power <= 40; power += 1) {
    const value = 10 ** power;
    if (value <= max) ticks.push(value);
    if (-value >= min) ticks.unshift(-value);
  }
  return ticks;
}

function seriesData(layers: readonly Layer[], available: readonly AvailablePoint[], range: [number, number]): uPlot.AlignedData {
  const xs = [...new Set([range[0], range[1], ...layers.flatMap((l) => l.steps.map((s) => timeSeconds(s.effectiveAt))), ...available.map((p) => timeSeconds(p.effectiveAt))])].sort((a, b) => a - b);
  const layerValues = layers.map((layer) => {
    let i = 0;
    let value = 0;
    return xs.map((x) => {
      while (i < layer.steps.length && timeSeconds(layer.steps[i]!.effectiveAt) <= x) value = Number(layer.steps[i++]!.balance);
      return value;
    });
  });
  const availableAt = new Map(available.map((p) => [timeSeconds(p.effectiveAt), Number(p.availableBalance)]));
  return [xs, ...layerValues, xs.map((x) => availableAt.get(x) ?? null)];
}

function drawHistory(target: HTMLElement, input: PictureInput, shown: readonly Layer[], chosenLayer: Layer | undefined, range: [number, number]): uPlot {
  const stepped = uPlot.paths.stepped!({ align: 1 });
  const u = new uPlot({
    width: Math.max(target.clientWidth - 2, 320), height: 300, ...timeAxis(input.timezone),
    legend: { show: false },
    cursor: { y: false, points: { show: false }, drag: { x: false, y: false }, focus: { prox: -1 } },
    scales: { x: { time: true, auto: false, range: () => range }, y: { distr: 4, asinh: ASINH } },
    series: [
      {},
      ...shown.map((layer) => {
        const color = layerColor(input.layers.indexOf(layer));
        return { label: `position ${layer.position}`, stroke: layer === chosenLayer ? color : `${color}aa`, width: layer === chosenLayer ? 3.5 : 1.25, paths: stepped, points: { show: false } };
      }),
      { label: 'available at R (end of day)', stroke: '#111', width: 1.5, dash: [3, 3], paths: stepped, spanGaps: true, points: { show: false } },
    ],
    axes: [{ grid: { stroke: '#eef0f3' } }, { grid: { stroke: '#eef0f3' }, size: 70, splits: powersOfTen, filter: (_u, splits) => splits, values: (_u, splits) => splits.map((v) => (v === null || v === undefined ? '' : v.toLocaleString('en-US'))) }],
    hooks: {
      draw: [(v) => {
        drawCrossHair(v, input.chosen, null);
        target.dataset.balances = `${v.scales.y!.min} ${v.scales.y!.max} ${ASINH}`; // the balance scale's ends, as the range above
      }],
      setCursor: [(v) => hoverStep(v, input, shown, chosenLayer)],
    },
  }, seriesData(shown, input.available, range), target);
  u.over.addEventListener('mouseleave', () => input.onHoverStep(null, 0, 0));
  return u;
}

/** The layer whose line passes nearest the pointer (within LINE_PIXELS), else the chosen one. */
function layerUnder(u: uPlot, shown: readonly Layer[], chosen: Layer | undefined, left: number, top: number): Layer | undefined {
  const at = u.posToVal(left, 'x');
  let found = chosen;
  let distance = LINE_PIXELS;
  for (const layer of chosen ? [chosen, ...shown] : shown) {
    let value = 0;
    for (const step of layer.steps) if (timeSeconds(step.effectiveAt) <= at) value = Number(step.balance);
    const d = Math.abs(u.valToPos(value, 'y') - top);
    if (d < distance) [found, distance] = [layer, d];
  }
  return found;
}

/** The step nearest the pointer (within HOVER_PIXELS) of the layer under it, for the tooltip. */
function hoverStep(u: uPlot, input: PictureInput, shown: readonly Layer[], chosen: Layer | undefined): void {
  const left = u.cursor.left ?? -1;
  const top = u.cursor.top ?? -1;
  const layer = left < 0 ? undefined : layerUnder(u, shown, chosen, left, top);
  if (!layer) return input.onHoverStep(null, 0, 0);
  let best: Step | null = null;
  let distance = HOVER_PIXELS;
  for (const step of layer.steps) {
    const d = Math.abs(u.valToPos(timeSeconds(step.effectiveAt), 'x') - left);
    if (d <= distance) [best, distance] = [step, d];
  }
  const rect = u.over.getBoundingClientRect();
  input.onHoverStep(best ? { layer, step: best } : null, rect.left + window.scrollX + left, rect.top + window.scrollY + top);
}

/** Draws both plots into `planeTarget` and `historyTarget`, replacing any drawn before. */
export function drawPicture(planeTarget: HTMLElement, historyTarget: HTMLElement, input: PictureInput, chosenLayer: Layer | undefined): readonly Layer[] {
  clearPicture();
  const range = effectiveRange(input.layers, input.available);
  const shown = drawnLayers(input.layers, chosenLayer);
  plane = drawPlane(planeTarget, input, range);
  history = drawHistory(historyTarget, input, shown, chosenLayer, range);
  // The scales' ends, for whoever needs to point at a time or a position (the browser tests do).
  planeTarget.dataset.range = historyTarget.dataset.range = `${range[0]} ${range[1]}`;
  planeTarget.dataset.positions = `0.5 ${input.head + 0.5}`;
  return shown;
}
