import { describe, expect, it } from 'vitest';
import { useTestApps } from '../../server/test-app.js';
import { detectLocale } from './index.js';

const appWith = useTestApps();

describe('i18n', () => {
  it('picks the locale from ?lang= first, then Accept-Language, and sets <html lang>', async () => {
    const app = await appWith();
    const byQuery = await app.inject({ url: '/?lang=fr', headers: { accept: 'text/html', 'accept-language': 'en' } });
    expect(byQuery.body).toContain('<html lang="fr">');
    expect(byQuery.body).toContain('Articles');
    const byHeader = await app.inject({
      url: '/',
      headers: { accept: 'text/html', 'accept-language': 'fr-CA,fr;q=0.9' },
    });
    expect(byHeader.body).toContain('<html lang="fr">');
    const fallback = await app.inject({ url: '/', headers: { accept: 'text/html', 'accept-language': 'de' } });
    expect(fallback.body).toContain('<html lang="en">');
  });

  it('falls back to English for unknown locales', () => {
    expect(detectLocale({ url: '/?lang=xx', acceptLanguage: '' })).toBe('en');
  });

  it.each(['//x:99999', '//x:99999?lang=fr', '//[', '%', '/?lang=%', '?lang=fr#x'])(
    'never throws on the target %j',
    (url) => {
      expect(['en', 'fr']).toContain(detectLocale({ url, acceptLanguage: '' }));
    },
  );
});
