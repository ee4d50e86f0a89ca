/**
 * fracbits-plugin-example — a third-party fracbits plugin written against @fracbits/plugin-api
 * only: the `acme-latency` cost model for the (fictional) Acme EdgeNPU-1 and the `acme-json`
 * exporter. Hosts load the default export (`plugins: ['fracbits-plugin-example']` in a fracbits
 * config); the named exports are for programs that use the pieces directly.
 */
import { definePlugin } from '@fracbits/plugin-api';
import { acmeJsonExporter } from './json-exporter.js';
import { acmeLatencyFactory } from './latency.js';

export {
  type AcceleratorSpec,
  EDGE_NPU_1,
  LAYER_KINDS,
  type LayerKind,
  PS_PER_MAC,
  tableAt,
} from './accelerator.js';
export { bilinear, type Interpolated } from './interpolate.js';
export {
  type AcmeBitsFile,
  type AcmeLayerEntry,
  acmeBitsFile,
  acmeJsonExporter,
  JSON_FORMAT,
  JSON_FORMAT_ID,
  JSON_FORMAT_VERSION,
} from './json-exporter.js';
export {
  acmeLatency,
  acmeLatencyFactory,
  LATENCY_MODEL_NAME,
  type LatencyOptions,
  layerKind,
} from './latency.js';
export { LATENCY_UNITS, type LatencyUnit, parseLatency } from './units.js';

export const plugin = definePlugin({
  specificationVersion: 'v1',
  name: 'fracbits-plugin-example',
  description:
    'Acme EdgeNPU-1: latency cost model and JSON bit-width exporter (an example third-party plugin)',
  costModels: [acmeLatencyFactory],
  exporters: [acmeJsonExporter],
});

export default plugin;
