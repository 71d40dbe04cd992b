/* global document, window, fetch, EventSource, localStorage, requestAnimationFrame */
// The playground's client: shows the channel the bot posts to, live, and sends what a person types
// or clicks to the playground server, which signs it as Slack would. Message HTML is rendered (and
// escaped) by the server from the bot's Block Kit; this script only places it and wires buttons.
'use strict';

const state = {
  roster: [],
  messages: new Map(),
  surfaces: [],
  user: localStorage.getItem('apollo-playground-user') || '',
  openThread: null,
  view: 'channel',
};

const $ = (id) => document.getElementById(id);

function visible(message) {
  return !message.deleted && (!message.ephemeralFor || message.ephemeralFor === state.user);
}

function time(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
}

function textNode(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.textContent = text;
  return node;
}

function replyCount(ts) {
  let count = 0;
  for (const m of state.messages.values()) if (m.threadTs === ts && visible(m)) count += 1;
  return count;
}

function messageNode(message, inThread) {
  const node = document.createElement('article');
  node.className = 'msg' + (message.ephemeralFor ? ' ephemeral' : '');
  node.dataset.id = message.id;
  const avatar = textNode('div', 'avatar', message.author === 'USLACKBOT' ? '💬' : '🚀');
  const main = document.createElement('div');
  main.className = 'msg-main';
  const meta = document.createElement('div');
  meta.className = 'msg-meta';
  meta.append(textNode('span', 'author', message.authorName));
  meta.append(textNode('span', 'badge', 'APP'));
  meta.append(textNode('time', 'msg-time', time(message.postedAt)));
  if (message.edits > 0) meta.append(textNode('span', 'edited', '(edited)'));
  main.append(meta);
  if (message.ephemeralFor) main.append(textNode('div', 'only-you', '👁 Only visible to you'));
  const body = document.createElement('div');
  body.className = 'msg-body';
  // Server-rendered from the bot's message: every text in it was escaped there.
  body.innerHTML = message.html;
  for (const bar of body.querySelectorAll('[data-colour]')) bar.style.borderLeftColor = bar.dataset.colour;
  main.append(body);
  if (!inThread) {
    const replies = replyCount(message.ts);
    if (replies > 0) {
      const link = textNode('button', 'replies', `${replies} ${replies === 1 ? 'reply' : 'replies'}`);
      link.type = 'button';
      link.addEventListener('click', () => openThread(message.ts));
      main.append(link);
    }
  }
  node.append(avatar, main);
  return node;
}

function renderList(container, messages, inThread) {
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 40;
  container.replaceChildren(...messages.map((m) => messageNode(m, inThread)));
  if (atBottom) container.scrollTop = container.scrollHeight;
}

function sorted() {
  return [...state.messages.values()].filter(visible).sort((a, b) => a.postedAt - b.postedAt || a.ts.localeCompare(b.ts));
}

function render() {
  const all = sorted();
  renderList($('messages'), all.filter((m) => !m.threadTs), false);
  if (state.openThread) {
    const parent = state.messages.get(state.openThread);
    renderList($('thread-messages'), [parent, ...all.filter((m) => m.threadTs === state.openThread)].filter(Boolean), true);
  }
  const home = state.surfaces.find((s) => s.kind === 'home' && s.user === state.user);
  // Server-rendered from the bot's view: every text in it was escaped there.
  if (home) $('home').innerHTML = home.html;
  else $('home').replaceChildren(textNode('p', 'home-empty', 'Opening the App Home…'));
  const modal = state.surfaces.find((s) => s.kind === 'modal' && s.user === state.user && !s.closed);
  if (modal && (!$('modal').open || $('modal').dataset.html !== modal.html)) {
    $('modal-title').textContent = modal.title;
    // Server-rendered from the bot's view: every text in it was escaped there.
    $('modal-body').innerHTML = modal.html;
    $('modal').dataset.html = modal.html;
    $('modal-submit').hidden = !modal.submit;
    $('modal-submit').textContent = modal.submit || '';
    if (!$('modal').open) $('modal').showModal();
  } else if (!modal && $('modal').open) {
    $('modal').close('closed');
  }
}

function openThread(ts) {
  state.openThread = ts;
  $('thread').hidden = false;
  render();
}

function setStatus(text) {
  $('composer-status').textContent = text;
}

async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok || answer.ok === false) {
    setStatus(answer.message ? `Not sent: ${answer.message}` : `Not sent (HTTP ${res.status}${answer.status ? `, the bot answered ${answer.status}` : ''})`);
    return false;
  }
  setStatus('');
  return true;
}

function confirmDialog(confirm) {
  return new Promise((resolve) => {
    const dialog = $('confirm');
    $('confirm-title').textContent = confirm.title;
    $('confirm-text').textContent = confirm.text;
    $('confirm-ok').textContent = confirm.confirm;
    $('confirm-ok').className = 'sk-button ' + (confirm.style === 'danger' ? 'danger' : 'primary');
    $('confirm-deny').textContent = confirm.deny;
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  });
}

async function press(button) {
  const action = JSON.parse(button.dataset.action);
  const message = button.closest('.msg');
  if (action.confirm && !(await confirmDialog(action.confirm))) return;
  button.disabled = true;
  try {
    const click = { user: state.user, actionId: action.action_id, blockId: action.block_id, value: action.value };
    // A button on the App Home comes from a view, not a message.
    if (message) await post('/playground/api/action', Object.assign({ messageId: message.dataset.id }, click));
    else if (button.closest('#home')) await post('/playground/api/home-action', click);
  } finally {
    button.disabled = false;
  }
}

// A modal's buttons close the dialog (method=dialog): submit sends what was typed, by block and action id.
$('modal').addEventListener('close', () => {
  const how = $('modal').returnValue;
  $('modal').returnValue = '';
  if (how === 'closed') return;
  const values = {};
  for (const input of $('modal-body').querySelectorAll('[data-input]')) {
    // Text as typed; checkboxes, radio buttons and selects as the values of the options chosen.
    let value = input.value;
    if (input.dataset.kind === 'static_select') value = { selected: input.value ? [input.value] : [] };
    else if (input.dataset.kind) value = { selected: [...input.querySelectorAll('input:checked')].map((box) => box.value) };
    values[input.dataset.block] = Object.assign(values[input.dataset.block] || {}, { [input.dataset.input]: value });
  }
  const submit = how === 'submit';
  // Until the bot answers, the modal stays on screen only if it says what was wrong.
  state.surfaces = state.surfaces.filter((s) => !(s.kind === 'modal' && s.user === state.user));
  delete $('modal').dataset.html;
  void post('/playground/api/view', { user: state.user, submit, values });
});

document.addEventListener('click', (event) => {
  const button = event.target.closest && event.target.closest('button[data-action]');
  if (button) void press(button);
});

async function sendComposer() {
  const text = $('composer').value.trim();
  if (!text) return;
  if (await post('/playground/api/command', { user: state.user, text })) $('composer').value = '';
}

$('composer-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void sendComposer();
});
$('composer').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    void sendComposer();
  }
});
$('close-thread').addEventListener('click', () => {
  state.openThread = null;
  $('thread').hidden = true;
});
$('show-channel').addEventListener('click', () => switchView('channel'));
$('show-home').addEventListener('click', () => openHome());

// Opening the Home tab is what Slack reports as app_home_opened: the bot publishes this person's view.
function openHome() {
  switchView('home');
  render();
  void post('/playground/api/home', { user: state.user });
}

function switchView(view) {
  state.view = view;
  $('messages').hidden = view !== 'channel';
  $('composer-form').hidden = view !== 'channel';
  $('home').hidden = view !== 'home';
  $('show-channel').classList.toggle('active', view === 'channel');
  $('show-home').classList.toggle('active', view === 'home');
}

function pickUser(id) {
  state.user = id;
  localStorage.setItem('apollo-playground-user', id);
  const person = state.roster.find((p) => p.id === id);
  $('user-role').textContent = person ? person.role : '';
  if (state.view === 'home') openHome();
  else render();
}

$('user').addEventListener('change', (event) => pickUser(event.target.value));

async function start() {
  const res = await fetch('/playground/api/state');
  const initial = await res.json();
  state.roster = initial.roster;
  $('channel-name').textContent = `# ${initial.channel.name}`;
  for (const person of state.roster) {
    const option = textNode('option', '', `${person.name} — ${person.role}`);
    option.value = person.id;
    $('user').append(option);
  }
  if (!state.roster.some((p) => p.id === state.user)) state.user = state.roster[0] ? state.roster[0].id : '';
  $('user').value = state.user;
  pickUser(state.user);

  const events = new EventSource('/playground/api/events');
  events.addEventListener('open', () => $('live').classList.add('on'));
  events.addEventListener('error', () => $('live').classList.remove('on'));
  events.addEventListener('snapshot', (event) => {
    const snap = JSON.parse(event.data);
    state.messages = new Map(snap.messages.map((m) => [m.id, m]));
    state.surfaces = snap.surfaces;
    render();
    document.body.dataset.ready = 'true';
  });
  events.addEventListener('message', (event) => {
    const message = JSON.parse(event.data);
    if (message.deleted) state.messages.delete(message.id);
    else state.messages.set(message.id, message);
    requestAnimationFrame(render);
  });
  events.addEventListener('surface', (event) => {
    const surface = JSON.parse(event.data);
    state.surfaces = state.surfaces.filter((s) => !(s.kind === surface.kind && s.user === surface.user)).concat(surface.closed ? [] : [surface]);
    render();
  });
}

void start().catch(() => window.setTimeout(() => window.location.reload(), 2000));
