// The admin keeps the redirect allow-list on the admin page: a bad line is
// named by its line number and nothing is saved; a good list is saved and
// shown back as the server keeps it.
import { run, signIn, until, assert, log } from './lib.mjs';

await run('admin-redirect-targets', async (browser) => {
  const admin = await signIn(browser, 'admin', '/admin');
  const area = admin.getByTestId('redirect-targets');
  await area.waitFor();
  await area.fill('from-internal,2000\noutbound 9,1');
  await admin.getByTestId('save-redirect-targets').click();
  const err = await until('the bad line to be named', async () => admin.getByTestId('redirect-targets-error').textContent());
  log(`error shown: ${err}`);
  assert(/^line 2: /.test(err), `error ${JSON.stringify(err)} does not name line 2`);

  await area.fill('from-internal,2000\n\n ivr , _X. ');
  await admin.getByTestId('save-redirect-targets').click();
  await until('the list to be saved', async () => /Saved: 2 targets/.test(await admin.locator('[data-testid="redirect-targets"] ~ [role="status"]').textContent()));
  assert(await area.inputValue() === 'from-internal,2000\nivr,_X.', `kept as ${JSON.stringify(await area.inputValue())}`);
  const kept = await admin.evaluate(async () => (await fetch('/api/admin/redirect-targets')).json());
  assert(JSON.stringify(kept.targets) === '["from-internal,2000","ivr,_X."]', `server keeps ${JSON.stringify(kept)}`);

  // Both saves are in the audit log, the refused one marked so.
  await admin.getByTestId('audit-refresh').click();
  const rows = await until('the saves in the audit log', async () => {
    const r = await admin.locator('[data-testid="audit-row"]').allInnerTexts();
    return r.filter((t) => t.includes('/api/admin/redirect-targets')).length >= 2 && r;
  });
  const saves = rows.filter((t) => t.includes('/api/admin/redirect-targets'));
  log(`audit log: ${saves.join(' | ')}`);
  assert(/done/.test(saves[0]) && /refused \(422\)/.test(saves[1]), `audit rows ${JSON.stringify(saves)}`);
});
