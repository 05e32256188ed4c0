// After logging in the console follows ?next= only to a path of its own:
// hostile values that browsers read as another host (a backslash, a tab,
// a protocol-relative or absolute URL) land on the console's home instead.
import { run, until, assert, log, BASE, PASSWORD, USERS, WAIT } from './lib.mjs';

const origin = new URL(BASE).origin;
// '/' sends sue on to her home page, the wallboard.
const HOME = '/wall';
const cases = [
  { next: '/wall?from=login', want: '/wall?from=login' },
  { next: '/\\example.com/steal', want: HOME },
  { next: '/%5Cexample.com/steal', want: HOME },
  { next: '/\t/example.com/steal', want: HOME },
  { next: '/%09/example.com/steal', want: HOME },
  { next: '//example.com/steal', want: HOME },
  { next: 'https://example.com/steal', want: HOME },
  { next: 'javascript:alert(1)', want: HOME },
];

await run('login-redirect', async (browser) => {
  for (const c of cases) {
    const ctx = await browser.newContext();
    ctx.setDefaultTimeout(WAIT);
    const page = await ctx.newPage();
    // Not encoded where the case is the raw query a link would carry.
    const raw = c.next.includes('%') ? c.next : encodeURIComponent(c.next);
    await page.goto(`${BASE}/login?next=${raw}`);
    await page.getByTestId('login-user').fill(USERS.sue);
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    const landed = await until(`a page after logging in with next=${c.next}`, async () => {
      const u = new URL(page.url());
      return u.pathname !== '/login' && u.pathname !== '/' && u; // '/' goes on home
    });
    log(`next=${JSON.stringify(c.next)} -> ${landed.href}`);
    assert(landed.origin === origin, `next=${c.next} left the site for ${landed.href}`);
    assert(landed.pathname + landed.search === c.want, `next=${c.next} landed on ${landed.pathname}${landed.search}, want ${c.want}`);
    await ctx.close();
  }
});
