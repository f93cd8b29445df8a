import { describe, expect, it } from 'vitest';
import { withoutSecrets } from './sentry.js';

describe('error reports', () => {
  it('carry the path and the logged headers, never a query value, a credential, a cookie or the body', () => {
    const event = {
      message: 'boom',
      request: {
        url: 'https://web.example/posts/1?access_token=s3cret-query#x',
        query_string: 'access_token=s3cret-query',
        headers: {
          'user-agent': 'probe/1.0',
          referer: 'https://mail.example/?token=s3cret-referer',
          cookie: '__Host-session=s3cret-cookie',
          authorization: 'Bearer s3cret-token',
        },
        cookies: { '__Host-session': 's3cret-cookie' },
        data: 'email=a%40example.com&password=s3cret-password',
      },
    };
    const sent = withoutSecrets(event);
    expect(JSON.stringify(sent)).not.toContain('s3cret');
    expect(sent.request).toEqual({ url: 'https://web.example/posts/1', headers: { 'user-agent': 'probe/1.0' } });
    expect(withoutSecrets({ request: { headers: { referer: 'https://a.example/?t=1' } } })).toEqual({
      request: { headers: {} },
    });
  });
});
