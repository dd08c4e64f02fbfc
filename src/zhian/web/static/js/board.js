/*
 * zhian live board: follows the server-sent event stream named by [data-zh-board] and
 * redraws the alert, incident and unit tables from each "board" event (the whole board).
 * Text comes from the server already in the viewer's language; no markup is taken from it.
 */
(function () {
  'use strict';

  const COLUMNS = {
    alerts: ['opened', 'kind_label', 'message'],
    incidents: ['id', 'received', 'type_label', 'priority', 'location', 'status_label'],
    units: ['callsign', 'kind_label', 'status_label', 'incident_id', 'since'],
  };
  const KEYS = { alerts: 'alertId', incidents: 'incidentId', units: 'unitId' };

  function row(kind, item) {
    const tr = document.createElement('tr');
    tr.dataset[KEYS[kind]] = String(item.id);
    if (kind === 'incidents' && item.overdue) tr.className = 'zh-row-alert';
    for (const name of COLUMNS[kind]) {
      const td = document.createElement('td');
      const value = item[name] === null || item[name] === undefined ? '' : String(item[name]);
      if (kind === 'incidents' && name === 'id') {
        const link = document.createElement('a');
        link.href = '/incidents/' + encodeURIComponent(value);
        link.textContent = value;
        td.appendChild(link);
      } else if (kind === 'alerts' && name === 'kind_label') {
        const badge = document.createElement('span');
        badge.className = 'zh-badge zh-badge-red';
        badge.textContent = value;
        td.appendChild(badge);
      } else {
        td.textContent = value;
      }
      tr.appendChild(td);
    }
    return tr;
  }

  function draw(root, data) {
    for (const kind of Object.keys(COLUMNS)) {
      const body = root.querySelector('[data-rows="' + kind + '"]');
      const count = root.querySelector('[data-count="' + kind + '"]');
      const items = data[kind] || [];
      if (body) body.replaceChildren(...items.map((item) => row(kind, item)));
      if (count) count.textContent = String(items.length);
    }
  }

  function start() {
    const root = document.querySelector('[data-zh-board]');
    if (!root || !window.EventSource) return;
    const state = document.querySelector('[data-board-state]');
    const source = new EventSource(root.getAttribute('data-events'));
    source.addEventListener('board', (e) => {
      draw(root, JSON.parse(e.data));
      root.setAttribute('data-updated', e.lastEventId || '');
    });
    source.addEventListener('signed-out', () => {
      source.close();
      window.location.reload(); // the server sends the sign-in page
    });
    source.addEventListener('open', () => {
      root.setAttribute('data-live', 'true');
      if (state) state.textContent = state.getAttribute('data-live');
    });
    source.addEventListener('error', () => {
      root.setAttribute('data-live', 'false');
      if (state) state.textContent = state.getAttribute('data-lost');
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
