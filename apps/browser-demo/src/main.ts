/**
 * The page: WebGPU detection, data loading, the controls, and the charts fed by the search's
 * events. `document.body.dataset.state` (idle | running | done | error) tells tests and scripts
 * where the page is.
 */
import { type Backend, CpuBackend, setBackend } from '@fracbits/tensor';
import { createWebGpuBackend } from '@fracbits/webgpu';
import { A_COLOR, drawBits, drawLines, type LayerBars, type Series, W_COLOR } from './charts.js';
import { type DemoData, loadDemoData, takeBalanced, takeFirst } from './data.js';
import { type DemoEvent, type DemoResult, type DemoSettings, exportOnnx, runDemoSearch } from './search.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const gpuStatus = $<HTMLParagraphElement>('gpu-status');
const dataStatus = $<HTMLParagraphElement>('data-status');
const runButton = $<HTMLButtonElement>('run');
const downloadButton = $<HTMLButtonElement>('download');
const backendSelect = $<HTMLSelectElement>('backend');
const progress = $<HTMLProgressElement>('progress');
const stageText = $<HTMLParagraphElement>('stage');
const logBox = $<HTMLPreElement>('log');
const charts = {
  bits: $('chart-bits') as unknown as SVGSVGElement,
  cost: $('chart-cost') as unknown as SVGSVGElement,
  accuracy: $('chart-accuracy') as unknown as SVGSVGElement,
};

type PageState = 'idle' | 'running' | 'done' | 'error';
const setState = (state: PageState) => {
  document.body.dataset.state = state;
};

function status(el: HTMLElement, text: string, kind: 'ok' | 'warn' | 'error' | '' = ''): void {
  el.textContent = text;
  el.className = `status ${kind}`;
}

function log(message: string): void {
  logBox.textContent += `${message}\n`;
  logBox.scrollTop = logBox.scrollHeight;
}

// ── WebGPU ──────────────────────────────────────────────────────────────────────────────────
let webgpu: Backend | null = null;
let cpu: Backend | null = null;

async function detectWebGpu(): Promise<void> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  const noGpu = (why: string) => {
    status(
      gpuStatus,
      `${why} This page needs WebGPU to train at a useful speed: use a browser with WebGPU enabled (a recent Chrome or Edge; Chromium on Linux with --enable-unsafe-webgpu). You can still run the search on the slow CPU reference backend.`,
      'error',
    );
    backendSelect.value = 'cpu';
    (backendSelect.querySelector('option[value="webgpu"]') as HTMLOptionElement).disabled = true;
  };
  if (!gpu) return noGpu('This browser has no WebGPU (navigator.gpu is undefined).');
  try {
    webgpu = await createWebGpuBackend({ gpu });
    status(gpuStatus, `WebGPU: ${webgpu.description}`, 'ok');
  } catch (e) {
    noGpu(`WebGPU is present but unusable here: ${(e as Error).message}.`);
  }
}

// ── Charts ──────────────────────────────────────────────────────────────────────────────────
interface ChartData {
  bits: LayerBars[];
  bitsTitle: string;
  cost: [number, number][];
  budget: number | null;
  integerCost: [number, number] | null;
  qatSteps: number;
  accuracy: Record<'float' | 'search' | 'finetune' | 'final', [number, number][]>;
  totalEpochs: number;
}

let chartData: ChartData;
let drawPending = false;

function resetCharts(qatSteps: number, totalEpochs: number): void {
  chartData = {
    bits: [],
    bitsTitle: '',
    cost: [],
    budget: null,
    integerCost: null,
    qatSteps,
    accuracy: { float: [], search: [], finetune: [], final: [] },
    totalEpochs,
  };
  draw();
}

function draw(): void {
  drawPending = false;
  const d = chartData;
  drawBits(charts.bits, d.bits, d.bitsTitle);
  const cost: Series[] = [{ label: 'fractional cost', color: W_COLOR, points: d.cost }];
  if (d.budget !== null) {
    cost.push({
      label: 'budget',
      color: '#dc2626',
      dashed: true,
      points: [
        [0, d.budget],
        [d.qatSteps, d.budget],
      ],
    });
  }
  if (d.integerCost)
    cost.push({ label: 'integer model', color: '#059669', markers: true, points: [d.integerCost] });
  drawLines(charts.cost, cost, { xLabel: 'FracBits step', yLabel: 'MBitOps', xMax: d.qatSteps });
  drawLines(
    charts.accuracy,
    [
      { label: 'float', color: '#64748b', markers: true, points: d.accuracy.float },
      { label: 'search (fractional)', color: W_COLOR, markers: true, points: d.accuracy.search },
      { label: 'fine-tune (integer)', color: A_COLOR, markers: true, points: d.accuracy.finetune },
      { label: 'final', color: '#059669', markers: true, points: d.accuracy.final },
    ],
    {
      xLabel: 'epoch (float, then FracBits)',
      yLabel: 'accuracy (%)',
      yMin: 0,
      yMax: 100,
      xMax: d.totalEpochs,
    },
  );
}

/** Redraws at most once per frame, however many events arrive. */
function scheduleDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(draw);
}

// ── Running ─────────────────────────────────────────────────────────────────────────────────
let data: DemoData | null = null;
let lastRun: { run: DemoResult; settings: DemoSettings } | null = null;

function number(id: string, min: number, max: number): number {
  const input = $<HTMLInputElement>(id);
  const v = Math.round(Number(input.value));
  const clamped = Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : min;
  input.value = String(clamped);
  return clamped;
}

function readSettings(): DemoSettings {
  return {
    model: $<HTMLSelectElement>('model').value as DemoSettings['model'],
    budgetBits: Number($<HTMLSelectElement>('budget').value),
    granularity: $<HTMLSelectElement>('granularity').value as DemoSettings['granularity'],
    pretrainEpochs: number('pretrain-epochs', 0, 20),
    epochs: number('epochs', 1, 20),
    batchSize: 64,
    seed: 0,
  };
}

function onEvent(e: DemoEvent, pretrainSteps: number, totalSteps: number): void {
  switch (e.type) {
    case 'stage':
      stageText.textContent = e.message;
      log(`— ${e.message}`);
      break;
    case 'step': {
      const done = e.stage === 'pretrain' ? e.step : pretrainSteps + e.step;
      progress.value = done / totalSteps;
      if (e.cost !== undefined) {
        chartData.cost.push([e.step, e.cost]);
        chartData.budget = e.budget ?? chartData.budget;
        scheduleDraw();
      }
      break;
    }
    case 'bits':
      chartData.bits = e.layers;
      chartData.bitsTitle = e.epoch === 0 ? 'start (λ = b + 0.5)' : `after FracBits epoch ${e.epoch}`;
      scheduleDraw();
      break;
    case 'accuracy':
      chartData.accuracy[e.stage].push([e.epoch, 100 * e.accuracy]);
      scheduleDraw();
      break;
    case 'log':
      log(e.message);
      break;
  }
}

async function run(): Promise<void> {
  if (!data) return;
  const settings = readSettings();
  cpu ??= new CpuBackend();
  const backend = backendSelect.value === 'webgpu' && webgpu ? webgpu : cpu;
  setBackend(backend);
  const train = takeBalanced(data.train, Number($<HTMLSelectElement>('train-images').value));
  const test = takeFirst(data.test, Number($<HTMLSelectElement>('test-images').value));
  const steps = Math.ceil(train.length / settings.batchSize);
  const pretrainSteps = settings.pretrainEpochs * steps;
  const totalSteps = pretrainSteps + settings.epochs * steps;
  lastRun?.run.model.dispose();
  lastRun = null;
  downloadButton.disabled = true;
  runButton.disabled = true;
  progress.value = 0;
  setState('running');
  resetCharts(settings.epochs * steps, settings.pretrainEpochs + settings.epochs);
  log(
    `run: ${settings.model}, budget = uniform ${settings.budgetBits}-bit BitOps, ${settings.granularity}-wise, ` +
      `${train.length} training / ${test.length} test images, on ${backend.name}`,
  );
  const started = performance.now();
  try {
    const result = await runDemoSearch({ train, test }, settings, (e) =>
      onEvent(e, pretrainSteps, totalSteps),
    );
    // Discretisation happens at the end of the search (the first 80 % of the epochs).
    chartData.integerCost = [Math.max(1, Math.round(settings.epochs * 0.8)) * steps, result.result.cost];
    draw();
    lastRun = { run: result, settings };
    downloadButton.disabled = false;
    progress.value = 1;
    log(`finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    setState('done');
  } catch (e) {
    console.error(e);
    stageText.textContent = `Failed: ${(e as Error).message}`;
    log(`error: ${(e as Error).message}`);
    setState('error');
  } finally {
    runButton.disabled = false;
  }
}

async function download(): Promise<void> {
  if (!lastRun) return;
  downloadButton.disabled = true;
  try {
    setBackend(lastRun.run.model.parameters()[0].backend);
    const bytes = await exportOnnx(lastRun.run, lastRun.settings);
    const blob = new Blob([bytes as BlobPart], { type: 'application/octet-stream' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `${lastRun.settings.model}-fracbits-w${lastRun.settings.budgetBits}-${lastRun.settings.granularity}.onnx`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    log(`exported ${a.download} (${bytes.length} bytes, QDQ ONNX opset 21)`);
  } catch (e) {
    console.error(e);
    log(`export failed: ${(e as Error).message}`);
  } finally {
    downloadButton.disabled = false;
  }
}

async function start(): Promise<void> {
  setState('idle');
  resetCharts(1, 1);
  runButton.addEventListener('click', () => void run());
  downloadButton.addEventListener('click', () => void download());
  await detectWebGpu();
  try {
    data = await loadDemoData(document.baseURI);
    status(dataStatus, `Data: ${data.description}`, data.synthetic ? 'warn' : 'ok');
    runButton.disabled = false;
  } catch (e) {
    console.error(e);
    status(dataStatus, `Could not load the data: ${(e as Error).message}`, 'error');
    setState('error');
  }
}

void start();
