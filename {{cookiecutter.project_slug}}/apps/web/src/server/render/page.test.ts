import { describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { createPageShell, pageState, renderPage } from './page.js';

const assets = { dir: null, scripts: ['/assets/main.js'], styles: [] };
const request = { url: '/', headers: {} } as FastifyRequest;

function stateWith(title: string) {
  return pageState(request, { name: 'list' }, [{ type: 'postsLoaded', posts: [{ id: 1, title, body: 'b' }] }]);
}

describe('renderPage', () => {
  it('renders a state once and serves the same document for the same state again', () => {
    const shell = createPageShell(assets, null);
    const first = renderPage(stateWith('</script><b>Same</b>'), shell);
    const again = renderPage(stateWith('</script><b>Same</b>'), shell);
    expect(again).toBe(first);
    expect(shell.rendered.size).toBe(1);
    expect(first).not.toContain('</script><b>');
    const other = renderPage(stateWith('Other'), shell);
    expect(other).toContain('Other');
    expect(shell.rendered.size).toBe(2);
  });

  it('keeps the cache within its byte budget', () => {
    const shell = createPageShell(assets, null);
    for (let i = 0; i < 2_000; i += 1) renderPage(stateWith(`Post ${i} ${'x'.repeat(2_000)}`), shell);
    expect(shell.rendered.calculatedSize).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(shell.rendered.size).toBeLessThan(2_000);
  });
});
