/*
 * Address search with suggestions as you type, on every form[data-zh-address-search].
 * Typing asks /api/v1/addresses/suggest (debounced; a late answer to an older query is
 * dropped); ArrowUp/ArrowDown move through the list, Enter or a click opens the picked
 * suggestion's page, Escape closes the list. Without a pick, Enter submits the form, which
 * lists the matching addresses on /places (the page also works without this script).
 */
(function () {
  'use strict';

  const DEBOUNCE_MS = 150;
  const LIMIT = '8';

  function setup(form) {
    const input = form.querySelector('input[name=q]');
    const list = form.querySelector('[role=listbox]');
    if (!input || !list) return;
    let items = [];
    let active = -1;
    let timer = null;
    let asked = 0;

    function close() {
      list.hidden = true;
      list.replaceChildren();
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      items = [];
      active = -1;
    }

    function highlight(index) {
      const options = list.querySelectorAll('[role=option]');
      options.forEach((option, i) => option.setAttribute('aria-selected', String(i === index)));
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute('aria-activedescendant', options[index].id);
        options[index].scrollIntoView({ block: 'nearest' });
      }
    }

    function open(index) {
      const picked = items[index];
      if (picked) window.location.assign(picked.url);
    }

    function show(found) {
      list.replaceChildren();
      items = found;
      active = -1;
      if (!found.length) {
        close();
        return;
      }
      found.forEach((s, i) => {
        const option = document.createElement('li');
        option.id = `zh-suggestion-${i}`;
        option.setAttribute('role', 'option');
        option.setAttribute('aria-selected', 'false');
        option.className = 'zh-suggestion';
        option.dataset.url = s.url;
        const label = document.createElement('span');
        label.textContent = s.label;
        const kind = document.createElement('small');
        kind.textContent =
          s.level === 'road' ? form.dataset.labelRoad || '' : s.code || form.dataset.labelHouse;
        option.append(label, kind);
        // mousedown, not click: the input keeps focus, so the list is still there to click.
        option.addEventListener('mousedown', (e) => {
          e.preventDefault();
          open(i);
        });
        list.append(option);
      });
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
    }

    async function ask(q) {
      const mine = ++asked;
      try {
        const params = new URLSearchParams({ q, limit: LIMIT });
        const resp = await fetch(`/api/v1/addresses/suggest?${params}`, {
          credentials: 'same-origin',
          headers: { Accept: 'application/json' },
        });
        const body = resp.ok ? await resp.json() : { items: [] };
        if (mine === asked) show(body.items || []);
      } catch (err) {
        if (mine === asked) close();
      }
    }

    input.addEventListener('input', () => {
      clearTimeout(timer);
      const q = input.value.trim();
      if (!q) {
        asked++;
        close();
        return;
      }
      timer = setTimeout(() => ask(q), DEBOUNCE_MS);
    });

    input.addEventListener('keydown', (e) => {
      if (list.hidden) {
        if (e.key === 'ArrowDown' && input.value.trim()) {
          e.preventDefault();
          ask(input.value.trim());
        }
        return;
      }
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        highlight((active + 1) % items.length);
      } else if (e.key === 'ArrowUp') {
        e.preventDefault();
        highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (e.key === 'Enter' && active >= 0) {
        e.preventDefault();
        open(active);
      } else if (e.key === 'Escape') {
        e.preventDefault();
        close();
      }
    });

    input.addEventListener('blur', close);
  }

  function start() {
    document.querySelectorAll('form[data-zh-address-search]').forEach(setup);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
