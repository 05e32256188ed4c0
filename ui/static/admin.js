// Admin: queues (every engine setting) and users (with their agent side).
// Durations are edited in seconds and sent as Go durations (nanoseconds).
import { get, put, del } from './api.js';
import { h, replace } from './util.js';


const QUEUE_FIELDS = [
  { group: 'Routing' },
  { name: 'name', label: 'Name', type: 'text', help: 'letters, digits, _ . -' },
  { name: 'strategy', label: 'Strategy', type: 'select', options: (m) => m.strategies },
  { name: 'timeout', label: 'Ring time per attempt (s)', type: 'secs' },
  { name: 'retry', label: 'Retry after a failed round (s)', type: 'secs' },
  { name: 'wrapuptime', label: 'Wrap-up time (s)', type: 'secs' },
  { name: 'weight', label: 'Weight', type: 'int' },
  { name: 'ringinuse', label: 'Ring agents whose phone is busy', type: 'bool' },
  { name: 'allowpick', label: 'Agents may pick waiting callers', type: 'bool' },
  { name: 'continue_on_agent_hangup', label: 'Caller continues in the dialplan when the agent hangs up', type: 'bool' },
  { name: 'memberdelay', label: 'Delay after the agent answers, before connecting (s)', type: 'secs' },
  { name: 'penaltymemberslimit', label: 'Ignore penalties with this many members or fewer (0: never)', type: 'int' },
  { name: 'setinterfacevar', label: 'Set MEMBER* variables on bridging', type: 'bool' },
  { name: 'setqueueentryvar', label: 'Set QEHOLDTIME and QEORIGINALPOS on bridging', type: 'bool' },
  { name: 'setqueuevar', label: 'Set QUEUE* variables on the caller', type: 'bool' },
  { group: 'Waiting' },
  { name: 'maxlen', label: 'Maximum callers (0: unlimited)', type: 'int' },
  { name: 'maxwait', label: 'Maximum wait (s, 0: forever)', type: 'secs' },
  { name: 'timeoutpriority', label: 'Timeout priority', type: 'select', options: () => ['app', 'conf'] },
  { name: 'servicelevel', label: 'Service level (s)', type: 'secs' },
  { name: 'exitkeys', label: 'Exit keys (DTMF)', type: 'text' },
  { name: 'exitcontext', label: 'Exit context (an exit key goes on at context,key,1)', type: 'text' },
  { name: 'joinempty', label: 'Refuse to join when members are', type: 'multi', options: (m) => m.empty_conditions },
  { name: 'leavewhenempty', label: 'Leave when members are', type: 'multi', options: (m) => m.empty_conditions },
  { name: 'musicclass', label: 'Music on hold class', type: 'text' },
  { name: 'abandon_resume', label: 'A caller who hangs up and calls back within (s, 0: off) keeps its place', type: 'secs', help: 'matched by caller number; the two visits count as one call' },
  { name: 'welcome_back', label: 'Sound played to a caller back in its place', type: 'text' },
  { group: 'Auto-pause' },
  { name: 'autopause', label: 'Auto-pause', type: 'select', options: (m) => m.autopause },
  { name: 'autopausedelay', label: 'Auto-pause delay (s)', type: 'secs' },
  { name: 'autopausebusy', label: 'Auto-pause on busy', type: 'bool' },
  { name: 'autopauseunavail', label: 'Auto-pause on unavailable', type: 'bool' },
  { name: 'autopause_noanswers', label: 'Unanswered rings before auto-pause', type: 'int' },
  { group: 'Announcements' },
  { name: 'announce_frequency', label: 'Announce position every (s, 0: never)', type: 'secs' },
  { name: 'min_announce_frequency', label: 'At least this apart (s)', type: 'secs' },
  { name: 'announce_position', label: 'Announce position', type: 'select', options: () => ['yes', 'no', 'more', 'limit'] },
  { name: 'announce_position_limit', label: 'Position limit', type: 'int' },
  { name: 'announce_holdtime', label: 'Announce hold time', type: 'select', options: () => ['yes', 'no', 'once'] },
  { name: 'announce_round_seconds', label: 'Round hold time to (s)', type: 'int' },
  { name: 'periodic_announce', label: 'Periodic announcements (one sound per line)', type: 'lines' },
  { name: 'periodic_announce_frequency', label: 'Periodic announcement every (s)', type: 'secs' },
  { name: 'random_periodic_announce', label: 'Random order', type: 'bool' },
  { name: 'announce_to_first_user', label: 'Announce also between the rings of a caller whose turn it is', type: 'bool' },
  { name: 'announce', label: 'Announcement to the agent before connecting (sounds, & between)', type: 'text' },
  { name: 'reportholdtime', label: "Tell the agent the caller's wait before connecting", type: 'bool' },
  { name: 'auto_answer', label: 'Browser phones answer these calls by themselves after (s, 0: as each agent says)', type: 'secs' },
  { name: 'timeoutrestart', label: 'After a busy or declined agent, ring the next for the full ring time', type: 'bool' },
  { group: 'Keep-my-place callback' },
  { name: 'callback_mode', label: 'Offer callers a callback', type: 'select', options: () => ['', 'agent-first', 'customer-first'], help: 'they keep their place and hang up; agent-first rings the agent, then the customer; customer-first dials the customer, then rings agents' },
  { name: 'callback_digit', label: 'Key to ask for it (empty: 1)', type: 'text' },
  { name: 'callback_min_wait', label: 'Offer only when the expected wait is at least (s)', type: 'secs' },
  { name: 'callback_hours', label: 'Offered during', type: 'text', help: 'mon-fri 08:00-18:00; sat 09:00-13:00 (empty: always)' },
  { name: 'callback_dial', label: 'Dial string', type: 'text', help: 'PJSIP/{number}@trunk or Local/{number}@outbound' },
  { name: 'callback_callerid', label: 'Caller id shown to the customer', type: 'text' },
  { name: 'callback_attempts', label: 'Tries (0: 3)', type: 'int' },
  { name: 'callback_retry', label: 'Between tries (s, 0: 300)', type: 'secs' },
  { name: 'callback_ring_timeout', label: "Ring the customer's phone for (s, 0: 30)", type: 'secs' },
  { group: 'Recording and supervision' },
  { name: 'record', label: 'Record calls', type: 'select', options: () => ['never', 'always', 'on-demand'], help: 'caller and agent in one file, from the moment they are connected; on-demand: started from the console' },
  { name: 'record_format', label: 'Format', type: 'select', options: () => ['wav', 'gsm', 'wav49'] },
  { name: 'record_from', label: 'Record from', type: 'select', options: () => ['connect', 'join'], help: 'join: the caller from joining the queue, waiting included (monitor-join)' },
  { name: 'record_agent_control', label: 'The agent on the call may pause, resume and start its recording (supervisors always may)', type: 'bool' },
  { name: 'record_retention', label: 'Delete recordings after (days, 0: keep)', type: 'days' },
  { name: 'monitor_indicator', label: 'Tell the agent when a supervisor listens, whispers or joins', type: 'bool' },
  { group: 'Penalty rules' },
  { name: 'rules', label: 'One rule per line: after seconds, max penalty, min penalty (+N / -N relative)', type: 'rules' },
];

export async function showAdmin(main, session, { signal } = {}) {
  const meta = await get('/api/admin/meta');
  if (signal?.aborted) return; // another screen was opened meanwhile
  const status = h('p', { class: 'status', role: 'status', 'data-testid': 'admin-status' });
  const queuesSec = h('section', { class: 'card', 'aria-labelledby': 'aq-h' });
  const usersSec = h('section', { class: 'card', 'aria-labelledby': 'au-h' });
  const formSec = h('section', { class: 'card form-area', 'aria-live': 'polite' });
  const redirectSec = h('section', { class: 'card', 'aria-labelledby': 'ar-h' });
  const auditSec = h('section', { class: 'card', 'aria-labelledby': 'al-h' });
  replace(main, h('div', { class: 'admin' }, h('h1', {}, 'Administration'), status,
    h('div', { class: 'admin-grid' }, h('div', {}, queuesSec, usersSec, redirectSec), formSec), auditSec));
  showRedirectTargets(redirectSec).catch((e) => { redirectSec.textContent = e.message; });
  showAudit(auditSec).catch((e) => { auditSec.textContent = e.message; });

  let queues = [];
  let users = [];
  const say = (text, error = false) => { status.textContent = text; status.className = error ? 'status error' : 'status'; };

  async function reload() {
    [queues, users] = await Promise.all([get('/api/admin/queues'), get('/api/admin/users')]);
    replace(queuesSec, h('h2', { id: 'aq-h' }, 'Queues'),
      h('table', { class: 'list', 'data-testid': 'admin-queues' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Queue'), h('th', {}, 'Strategy'), h('th', {}, 'Ring (s)'), h('th', {}, ''))),
        h('tbody', {}, queues.map((q) => h('tr', { 'data-testid': 'admin-queue-row', dataset: { queue: q.name } },
          h('td', {}, q.name), h('td', {}, q.strategy), h('td', {}, q.timeout),
          h('td', {},
            h('button', { type: 'button', 'data-testid': 'edit-queue', onclick: () => queueForm(q) }, 'Edit'),
            h('button', { type: 'button', class: 'danger', 'data-testid': 'delete-queue', onclick: () => removeQueue(q.name) }, 'Delete')))))),
      h('button', { type: 'button', class: 'primary', 'data-testid': 'new-queue', onclick: () => queueForm(null) }, 'New queue'));
    replace(usersSec, h('h2', { id: 'au-h' }, 'Users and agents'),
      h('table', { class: 'list', 'data-testid': 'admin-users' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Login'), h('th', {}, 'Name'), h('th', {}, 'Role'), h('th', {}, 'Device'), h('th', {}, 'Queues'), h('th', {}, ''))),
        h('tbody', {}, users.map((u) => h('tr', { 'data-testid': 'admin-user-row', dataset: { user: u.id } },
          h('td', {}, u.id), h('td', {}, u.name), h('td', {}, u.role), h('td', {}, u.agent?.device || '—'),
          h('td', {}, (u.agent?.device ? u.agent.queues || [] : []).map((m) => `${m.queue} (${m.penalty})`).join(', ')),
          h('td', {},
            h('button', { type: 'button', 'data-testid': 'edit-user', onclick: () => userForm(u) }, 'Edit'),
            u.id === session.user.id ? null : h('button', { type: 'button', class: 'danger', 'data-testid': 'delete-user', onclick: () => removeUser(u.id) }, 'Delete')))))),
      h('button', { type: 'button', class: 'primary', 'data-testid': 'new-user', onclick: () => userForm(null) }, 'New user'));
  }

  async function removeItem(question, path, done) {
    if (!confirm(question)) return;
    try { await del(path); say(done); await reload(); } catch (e) { say(e.message, true); }
  }
  const removeQueue = (name) => removeItem(`Delete queue ${name}? Its waiting callers leave it.`, `/api/admin/queues/${encodeURIComponent(name)}`, `Queue ${name} deleted.`);
  const removeUser = (id) => removeItem(`Delete user ${id}?`, `/api/admin/users/${encodeURIComponent(id)}`, `User ${id} deleted.`);

  // Field-by-field errors from the API, next to their inputs.
  function showErrors(form, fields) {
    for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    let first = null;
    for (const [key, msg] of Object.entries(fields || {})) {
      const base = key.replace(/^agent\./, 'agent.').split(/[[]/)[0];
      const wrap = form.querySelector(`[data-field="${CSS.escape(key)}"]`) || form.querySelector(`[data-field="${CSS.escape(base)}"]`)
        || form.querySelector(`[data-field="${CSS.escape(key.split('.').slice(0, 2).join('.').split('[')[0])}"]`);
      const target = wrap?.querySelector('.field-error') || form.querySelector('.form-error');
      target.textContent = (target.textContent ? target.textContent + '; ' : '') + (wrap ? msg : `${key}: ${msg}`);
      const input = wrap?.querySelector('input,select,textarea');
      if (input) { input.setAttribute('aria-invalid', 'true'); first = first || input; }
    }
    first?.focus();
  }

  function field(name, label, input, help) {
    const id = `f-${name.replace(/[^a-z0-9]/gi, '-')}`;
    input.id = input.id || id;
    const err = h('span', { class: 'field-error', id: `${id}-err`, 'data-testid': `error-${name}` });
    input.setAttribute('aria-describedby', `${id}-err`);
    return h('div', { class: 'field', dataset: { field: name } }, h('label', { for: input.id }, label), input, help ? h('small', { class: 'muted' }, help) : null, err);
  }

  // editForm shows a form with Save and Cancel in the form area; formAttrs
  // and saveAttrs name the form and its Save button. On submit,
  // request(form) returns { path, body, saved } to PUT, or null when it has
  // shown the form's own errors; the API's errors go next to their inputs.
  function editForm(formAttrs, saveAttrs, title, children, request) {
    const formErr = h('p', { class: 'form-error error', role: 'alert' });
    const form = h('form', { ...formAttrs, novalidate: true },
      h('h2', {}, title), ...children, formErr,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', ...saveAttrs }, 'Save'),
        h('button', { type: 'button', class: 'quiet', onclick: () => replace(formSec) }, 'Cancel')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const req = request(form);
      if (!req) return;
      try {
        await put(req.path, req.body);
        say(req.saved);
        replace(formSec);
        await reload();
      } catch (e) {
        formErr.textContent = e.message;
        showErrors(form, e.fields);
      }
    });
    replace(formSec, form);
    return form;
  }

  function queueForm(q) {
    const editing = !!q;
    const cfg = q ? structuredClone(q) : { ...meta.default_queue, name: '' };
    const inputs = {};
    const parts = [];
    let fieldset = null;
    for (const f of QUEUE_FIELDS) {
      if (f.group) { fieldset = h('fieldset', {}, h('legend', {}, f.group)); parts.push(fieldset); continue; }
      const v = cfg[f.name];
      let input;
      switch (f.type) {
        case 'text': input = h('input', { type: 'text', value: v ?? '', readonly: editing && f.name === 'name' }); break;
        case 'int': input = h('input', { type: 'number', step: '1', value: String(v ?? 0) }); break;
        case 'secs': input = h('input', { type: 'number', step: '0.1', min: '0', value: String(v ?? 0) }); break;
        case 'days': input = h('input', { type: 'number', step: '1', min: '0', value: String((v ?? 0) / 86400) }); break;
        case 'bool': input = h('input', { type: 'checkbox', checked: !!v }); break;
        case 'select': {
          // "" in the API is the first option (record "": never, format "": wav).
          const opts = f.options(meta);
          input = h('select', {}, opts.map((o) => h('option', { value: o, selected: o === (v || opts[0]) }, o || 'off')));
          break;
        }
        case 'multi':
          input = h('div', { class: 'multi', role: 'group' }, f.options(meta).map((o) => h('label', {}, h('input', { type: 'checkbox', value: o, checked: (v || []).includes(o) }), ` ${o}`)));
          break;
        case 'lines': input = h('textarea', { rows: '3' }, (v || []).join('\n')); break;
        case 'rules':
          input = h('textarea', { rows: '3', placeholder: '60, +2, 0' }, (v || []).map((r) => [r.after, (r.max_relative && r.max_penalty >= 0 ? '+' : '') + r.max_penalty, (r.min_relative && r.min_penalty >= 0 ? '+' : '') + r.min_penalty].join(', ')).join('\n'));
          break;
      }
      input.dataset.testid = `queue-${f.name}`;
      inputs[f.name] = { f, input };
      fieldset.append(field(f.name, f.label, input, f.help));
    }
    editForm({ class: 'queue-form', 'data-testid': 'queue-form' }, { 'data-testid': 'save-queue' }, editing ? `Queue ${q.name}` : 'New queue', parts, (form) => {
      const out = { ...cfg };
      const local = {};
      for (const { f, input } of Object.values(inputs)) {
        switch (f.type) {
          case 'text': out[f.name] = input.value.trim(); break;
          case 'int': out[f.name] = Number(input.value); if (!Number.isInteger(out[f.name])) local[f.name] = 'must be a whole number'; break;
          case 'secs': out[f.name] = Number(input.value); if (!Number.isFinite(out[f.name])) local[f.name] = 'must be a number of seconds'; break;
          case 'days': out[f.name] = Number(input.value) * 86400; if (!Number.isInteger(Number(input.value)) || Number(input.value) < 0) local[f.name] = 'must be a whole number of days'; break;
          case 'bool': out[f.name] = input.checked; break;
          case 'select': out[f.name] = input.value; break;
          case 'multi': out[f.name] = [...input.querySelectorAll('input:checked')].map((c) => c.value); break;
          case 'lines': out[f.name] = input.value.split('\n').map((l) => l.trim()).filter(Boolean); break;
          case 'rules':
            out.rules = [];
            input.value.split('\n').map((l) => l.trim()).filter(Boolean).forEach((line, i) => {
              const [after, maxp, minp] = line.split(',').map((x) => x.trim());
              const num = (x) => Number(x || 0);
              if (![after, maxp || '0', minp || '0'].every((x) => Number.isFinite(Number(x)))) { local.rules = `line ${i + 1}: three numbers`; return; }
              out.rules.push({ after: num(after), max_penalty: num(maxp), max_relative: /^[+-]/.test(maxp || ''), min_penalty: num(minp), min_relative: /^[+-]/.test(minp || '') });
            });
            break;
        }
      }
      if (Object.keys(local).length) { showErrors(form, local); return null; }
      const name = editing ? q.name : out.name;
      if (!name) { showErrors(form, { name: 'required' }); return null; }
      return { path: `/api/admin/queues/${encodeURIComponent(name)}`, body: out, saved: `Queue ${name} saved.` };
    });
    formSec.querySelector('input:not([readonly]),select')?.focus();
  }

  function userForm(u) {
    const editing = !!u;
    const agent = u?.agent?.device ? u.agent : null; // no device: takes no calls
    const id = h('input', { type: 'text', value: u?.id || '', readonly: editing, 'data-testid': 'user-id', autocomplete: 'off' });
    const name = h('input', { type: 'text', value: u?.name || '', 'data-testid': 'user-name' });
    const role = h('select', { 'data-testid': 'user-role' }, meta.roles.map((r) => h('option', { value: r, selected: r === (u?.role || 'agent') }, r)));
    const password = h('input', { type: 'password', autocomplete: 'new-password', 'data-testid': 'user-password', placeholder: editing ? 'leave empty to keep' : '' });
    const takes = h('input', { type: 'checkbox', checked: !!agent || !editing, 'data-testid': 'user-takes-calls' });
    const device = h('input', { type: 'text', value: agent?.device || '', placeholder: 'PJSIP/1001', 'data-testid': 'agent-device' });
    // With several Asterisk servers the device is on one of them ('' is the first).
    const server = h('select', { 'data-testid': 'agent-server' }, (meta.servers || []).map((s, i) =>
      h('option', { value: i === 0 ? '' : s, selected: (agent?.server || '') === (i === 0 ? '' : s) }, i === 0 ? `${s} (the first)` : s)));
    // The whole membership is kept, so a save keeps its member order and
    // configured pause (queues.conf) as well as the penalty.
    const member = new Map((agent?.queues || []).map((m) => [m.queue, m]));
    const qrows = queues.map((q) => {
      const box = h('input', { type: 'checkbox', checked: member.has(q.name), dataset: { queue: q.name } });
      const pen = h('input', { type: 'number', min: '0', value: String(member.get(q.name)?.penalty ?? 0), class: 'penalty', 'aria-label': `Penalty in ${q.name}` });
      return { name: q.name, box, pen };
    });
    const skills = h('input', { type: 'text', value: Object.entries(agent?.skills || {}).map(([k, v]) => `${k}=${v}`).join(', '), placeholder: 'french=80, billing=50', 'data-testid': 'agent-skills' });
    const stat = h('input', { type: 'checkbox', checked: !!agent?.static, 'data-testid': 'agent-static' });
    // The console as the agent's phone: its device is the endpoint
    // stasisq provisions on Asterisk (PJSIP/stasisq-<login>).
    const browserPhone = h('input', { type: 'checkbox', checked: agent?.phone === 'browser', 'data-testid': 'agent-browser-phone' });
    const syncPhone = () => {
      device.disabled = browserPhone.checked;
      if (browserPhone.checked) device.value = `PJSIP/stasisq-${id.value.trim()}`;
    };
    const autoAnswer = h('input', { type: 'number', min: '0', max: '60', step: '1', value: String(agent?.auto_answer || 0), 'data-testid': 'agent-auto-answer' });
    browserPhone.addEventListener('change', syncPhone);
    id.addEventListener('input', () => { if (browserPhone.checked) syncPhone(); });
    syncPhone();
    const ringinuse = h('select', { 'data-testid': 'agent-ringinuse' },
      h('option', { value: '', selected: agent?.ringinuse == null }, "the queue's setting"),
      h('option', { value: 'yes', selected: agent?.ringinuse === true }, 'yes'),
      h('option', { value: 'no', selected: agent?.ringinuse === false }, 'no'));
    const agentSet = h('fieldset', { class: 'agent-fields' }, h('legend', {}, 'Agent'),
      field('agent.phone', 'Phone in the browser (this console rings)', browserPhone),
      field('agent.auto_answer', 'Browser phone answers by itself after (s, 0: never)', autoAnswer),
      field('agent.device', 'Device', device),
      ...((meta.servers || []).length > 1 ? [field('agent.server', 'Asterisk server of the device', server)] : []),
      h('div', { class: 'field', dataset: { field: 'agent.queues' } }, h('span', { class: 'label' }, 'Queues and penalties'),
        h('div', { class: 'multi' }, qrows.map((r) => h('label', { class: 'row' }, r.box, ` ${r.name} `, r.pen))),
        h('span', { class: 'field-error' })),
      field('agent.skills', 'Skills (name=level 1–100)', skills),
      field('agent.static', 'Static (always logged in, like queues.conf member =>)', stat),
      field('agent.ringinuse', 'Ring while the phone is busy', ringinuse));
    // A supervisor may be limited to some queues' calls (listen, whisper,
    // barge, recording); none ticked: every queue.
    const supervised = new Set(u?.supervises || []);
    const srows = queues.map((q) => ({ name: q.name, box: h('input', { type: 'checkbox', checked: supervised.has(q.name), dataset: { queue: q.name } }) }));
    const superSet = h('fieldset', { class: 'supervises-fields', 'data-testid': 'user-supervises' }, h('legend', {}, 'Supervises'),
      h('div', { class: 'field', dataset: { field: 'supervises' } },
        h('span', { class: 'label' }, 'Listen to, whisper into, join and record the calls of (none ticked: every queue)'),
        h('div', { class: 'multi' }, srows.map((r) => h('label', { class: 'row' }, r.box, ` ${r.name}`))),
        h('span', { class: 'field-error' })));
    const sync = () => { agentSet.hidden = !takes.checked; superSet.hidden = role.value !== 'supervisor'; };
    takes.addEventListener('change', sync);
    role.addEventListener('change', sync);
    sync();
    editForm({ class: 'user-form', 'data-testid': 'user-form' }, { 'data-testid': 'save-user' }, editing ? `User ${u.id}` : 'New user', [
      field('id', 'Login', id), field('name', 'Name', name), field('role', 'Role', role),
      field('password', editing ? 'New password' : 'Password (8 or more characters)', password),
      field('agent', 'Takes calls (is an agent)', takes), agentSet, superSet,
    ], (form) => {
      const login = id.value.trim();
      if (!login) { showErrors(form, { id: 'required' }); return null; }
      const body = { name: name.value.trim(), role: role.value, password: password.value, agent: null,
        supervises: role.value === 'supervisor' ? srows.filter((r) => r.box.checked).map((r) => r.name) : [] };
      if (takes.checked) {
        const sk = {};
        for (const part of skills.value.split(',').map((x) => x.trim()).filter(Boolean)) {
          const [k, v] = part.split('=').map((x) => x.trim());
          sk[k] = Number(v);
        }
        body.agent = {
          ...(agent || {}), id: login, name: body.name || login, device: device.value.trim(),
          server: (meta.servers || []).length > 1 ? server.value : '',
          queues: qrows.filter((r) => r.box.checked).map((r) => ({ ...(member.get(r.name) || {}), queue: r.name, penalty: Number(r.pen.value) || 0 })),
          skills: sk, static: stat.checked, phone: browserPhone.checked ? 'browser' : '',
          auto_answer: browserPhone.checked ? Number(autoAnswer.value) || 0 : 0,
        };
        if (ringinuse.value === '') delete body.agent.ringinuse; else body.agent.ringinuse = ringinuse.value === 'yes';
      }
      return { path: `/api/admin/users/${encodeURIComponent(login)}`, body, saved: `User ${login} saved.` };
    });
    (editing ? name : id).focus();
  }

  await reload();
}


// Where supervisors may redirect waiting callers: one context,extension per
// line (patterns such as _X. allowed). Anything else is refused by the
// server; an empty list refuses every redirect.
async function showRedirectTargets(sec) {
  const { targets } = await get('/api/admin/redirect-targets');
  const area = h('textarea', { id: 'redirect-targets', rows: 5, 'data-testid': 'redirect-targets', spellcheck: 'false' });
  area.value = targets.join('\n');
  const err = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'redirect-targets-error' });
  const done = h('span', { class: 'muted', role: 'status' });
  const save = async () => {
    err.textContent = ''; done.textContent = '';
    try {
      const saved = await put('/api/admin/redirect-targets', { targets: area.value.split('\n') });
      area.value = saved.targets.join('\n');
      done.textContent = `Saved: ${saved.targets.length} target${saved.targets.length === 1 ? '' : 's'}.`;
    } catch (e) {
      // targets[i] is the line i+1 the admin typed.
      err.textContent = Object.entries(e.fields || {}).map(([k, m]) => {
        const i = /targets\[(\d+)\]/.exec(k);
        return i ? `line ${Number(i[1]) + 1}: ${m}` : m;
      }).join('; ') || e.message;
    }
  };
  replace(sec, h('h2', { id: 'ar-h' }, 'Redirect targets'),
    h('label', { for: 'redirect-targets' }, 'Where supervisors may send a waiting caller: context,extension per line (patterns like _X. allowed; empty: nowhere)'),
    area, err,
    h('button', { type: 'button', class: 'primary', 'data-testid': 'save-redirect-targets', onclick: save }, 'Save'), done);
}

// The audit log: what supervisors and admins did, refused attempts too.
async function showAudit(sec) {
  const { entries } = await get('/api/admin/audit?limit=100');
  const when = (iso) => new Date(iso).toLocaleString();
  replace(sec, h('h2', { id: 'al-h' }, 'Audit log'),
    h('p', { class: 'muted' }, 'Every change a supervisor or admin made in the last 7 days, newest first (the 100 latest).'),
    h('table', { class: 'list', 'data-testid': 'audit-log' },
      h('thead', {}, h('tr', {}, ['When', 'Who', 'From', 'Action', 'On', 'Detail', 'Result'].map((t) => h('th', {}, t)))),
      h('tbody', {}, entries.map((e) => h('tr', { 'data-testid': 'audit-row', class: e.status >= 400 ? 'refused' : '' },
        h('td', {}, when(e.at)), h('td', {}, `${e.user} (${e.role})`), h('td', {}, e.from), h('td', {}, e.action),
        h('td', {}, e.target), h('td', {}, e.detail || ''), h('td', {}, e.status >= 400 ? `refused (${e.status})` : 'done'))))),
    h('button', { type: 'button', 'data-testid': 'audit-refresh', onclick: () => showAudit(sec) }, 'Refresh'));
}
