/** Turns runner events into progress: one bar per epoch with loss, lr and cost vs budget. */
import type { EventSink, RunEvent } from '@fracbits/runner';
import { formatNumber, type Progress, type StageProgress } from './progress.js';

const ratio = (cost: number, budget: number) => `${(100 * (cost / budget)).toFixed(1)}% of budget`;

export function attachProgress(progress: Progress): EventSink {
  let bar: StageProgress | null = null;
  let epochs = 1;
  let lastLoss: number | undefined;
  return (event: RunEvent) => {
    switch (event.type) {
      case 'notice':
        progress.note(event.message);
        break;
      case 'stage':
        if (event.status === 'start' && event.epochs !== undefined) epochs = event.epochs;
        if (
          event.status === 'start' &&
          (event.stage === 'pretrain' ||
            event.stage === 'search' ||
            event.stage === 'finetune' ||
            event.stage === 'train')
        )
          lastLoss = undefined;
        break;
      case 'step': {
        // QAT epochs count search and fine-tune together.
        const total =
          event.stage === 'search' || event.stage === 'finetune'
            ? Math.round(event.totalSteps / event.stepsPerEpoch)
            : epochs;
        bar ??= progress.stage(`${event.stage} ${event.epoch + 1}/${total}`, event.stepsPerEpoch);
        if (event.loss !== undefined) lastLoss = event.loss;
        const metrics: Record<string, string | number> = {};
        if (lastLoss !== undefined) metrics.loss = lastLoss;
        metrics.lr = event.lr;
        if (event.cost !== undefined && event.budget !== undefined)
          metrics.cost = ratio(event.cost, event.budget);
        bar.update(Math.min(event.stepInEpoch, event.stepsPerEpoch), metrics);
        break;
      }
      case 'epoch': {
        const parts = [`loss ${formatNumber(event.loss)}`];
        if (event.testAccuracy !== undefined)
          parts.push(`test acc ${(100 * event.testAccuracy).toFixed(2)} %`);
        if (event.cost !== undefined && event.budget !== undefined)
          parts.push(`cost ${ratio(event.cost, event.budget)}`);
        parts.push(`${event.seconds.toFixed(1)} s`);
        (bar ?? progress.stage(`${event.stage} ${event.epoch + 1}/${event.epochs}`, 1)).finish(
          parts.join('  '),
        );
        bar = null;
        break;
      }
      case 'discretise':
        progress.note(
          `discretised: offset ${event.offset.toFixed(3)}, ${event.moves} single-bit moves, integer cost ${(100 * event.ratio).toFixed(1)} % of budget${event.inBand ? '' : ' (no single-bit move reached ±1 %)'}`,
        );
        break;
      default:
        break;
    }
  };
}
