// Started once the page is hydrated (main.ts). Part of the entry script rather than a chunk of
// its own: a dynamic import would add Vite's preload helper and a request for a library this small.
import { onCLS, onFCP, onINP, onLCP, onTTFB, type Metric } from 'web-vitals';
import { VITALS_PATH, type VitalEntry, type VitalRoute } from '../app/vitals.js';

/**
 * Sends each metric of this page load to the server once web-vitals settles it (LCP, CLS and INP
 * when the page is hidden). Metrics settled in the same task share one beacon, which the browser
 * delivers even while the page unloads.
 */
export function reportWebVitals(route: VitalRoute): void {
  let queued: VitalEntry[] = [];
  const send = () => {
    navigator.sendBeacon(VITALS_PATH, JSON.stringify({ route, metrics: queued }));
    queued = [];
  };
  const report = ({ name, value, rating }: Metric) => {
    if (queued.length === 0) queueMicrotask(send);
    queued.push({ name, value, rating });
  };
  onCLS(report);
  onFCP(report);
  onINP(report);
  onLCP(report);
  onTTFB(report);
}
