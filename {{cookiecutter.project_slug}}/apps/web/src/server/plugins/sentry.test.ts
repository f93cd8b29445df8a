import { describe, expect, it } from 'vitest';
import { withoutQueryOrReferer } from './sentry.js';

describe('error reports', () => {
  it('carry the path, never a query value or the Referer', () => {
    const event = {
      message: 'boom',
      request: {
        url: 'https://web.example/posts/1?access_token=s3cret-query#x',
        query_string: 'access_token=s3cret-query',
        headers: { 'user-agent': 'probe/1.0', referer: 'https://mail.example/?token=s3cret-referer' },
      },
    };
    const sent = withoutQueryOrReferer(event);
    expect(JSON.stringify(sent)).not.toContain('s3cret');
    expect(sent.request).toEqual({ url: 'https://web.example/posts/1', headers: { 'user-agent': 'probe/1.0' } });
    expect(withoutQueryOrReferer({ request: { headers: { referer: 'https://a.example/?t=1' } } })).toEqual({
      request: { headers: {} },
    });
  });
});
