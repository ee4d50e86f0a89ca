/** Turns runner events into progress bars: one bar per epoch, with loss, lr and cost vs budget. */
import type { EventSink, RunEvent } from '@fracbits/runner';
import { formatNumber, type Progress, type StageProgress } from './progress.js';

export function attachProgress(progress: Progress, forward?: EventSink): EventSink {
  let bar: StageProgress | null = null;
  let stepsPerEpoch = 1;
  let epochs = 1;
  let epochStep = 0;
  let lastLoss: number | undefined;
  return (event: RunEvent) => {
    forward?.(event);
    switch (event.type) {
      case 'notice':
        progress.note(event.message);
        break;
      case 'stage':
        if (event.status === 'start' && event.totalSteps && event.epochs) {
          epochs = event.epochs;
          stepsPerEpoch = Math.max(1, Math.round(event.totalSteps / event.epochs));
        }
        break;
      case 'step': {
        if (!bar) {
          epochStep = 0;
          bar = progress.stage(`${event.stage} ${event.epoch + 1}/${epochs}`, stepsPerEpoch);
        }
        epochStep++;
        if (event.loss !== undefined) lastLoss = event.loss;
        const metrics: Record<string, string | number> = {};
        if (lastLoss !== undefined) metrics.loss = lastLoss;
        metrics.lr = event.lr;
        if (event.cost !== undefined && event.budget !== undefined) metrics.cost = `${formatNumber(event.cost / event.budget)}×budget`;
        bar.update(Math.min(epochStep, stepsPerEpoch), metrics);
        break;
      }
      case 'epoch': {
        const parts = [`loss ${formatNumber(event.loss)}`];
        if (event.testAccuracy !== undefined) parts.push(`test acc ${(100 * event.testAccuracy).toFixed(2)} %`);
        if (event.cost !== undefined && event.budget !== undefined) parts.push(`cost ${formatNumber(event.cost / event.budget)}×budget`);
        parts.push(`${event.seconds.toFixed(1)} s`);
        const summary = parts.join('  ');
        (bar ?? progress.stage(`${event.stage} ${event.epoch + 1}/${event.epochs}`, 1)).finish(summary);
        bar = null;
        break;
      }
      default:
        break;
    }
  };
}
