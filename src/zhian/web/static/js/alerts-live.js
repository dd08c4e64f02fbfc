/*
 * New alerts on the transport page while it is open: the list is rendered by the server
 * (with its acknowledge and resolve forms), so this does not redraw it; every few seconds it
 * asks the alerts API for the open alerts and, when any was raised after the page was
 * loaded, says how many, with a link that reloads the list.
 * Static, CSP-clean (no inline script or style).
 *
 * Markup (see transport/index.html):
 *   <section data-live-src="/api/v1/transport/alerts?status=open&per_page=100"
 *            data-newest="<highest alert id when rendered>">
 *     <div data-testid="new-alerts" hidden><span data-count data-template="... {n} ...">
 *   </section>
 *
 * The section gets data-live-checked (checks done) and data-new-count after each check.
 */
(function () {
  'use strict';

  const EVERY_MS = 5000;
  const FETCH_TIMEOUT_MS = 10000;

  function start(section) {
    const src = new URL(section.getAttribute('data-live-src'), window.location.href);
    if (src.origin !== window.location.origin) return;
    const newest = Number(section.getAttribute('data-newest')) || 0;
    const notice = section.querySelector('[data-testid=new-alerts]');
    const count = notice && notice.querySelector('[data-count]');
    if (!notice || !count) return;
    let checks = 0;

    // The link goes to the list; on that very address a fragment link would only scroll, so
    // the page is loaded again instead (the address of a form's answer is left by the link).
    const link = notice.querySelector('a[href]');
    if (link) {
      link.addEventListener('click', (event) => {
        const target = new URL(link.href, window.location.href);
        const here = window.location;
        if (target.pathname === here.pathname && target.search === here.search) {
          event.preventDefault();
          here.reload();
        }
      });
    }

    async function check() {
      const ctrl = new AbortController();
      const timer = setTimeout(() => ctrl.abort(), FETCH_TIMEOUT_MS);
      try {
        const resp = await fetch(src.href, {
          credentials: 'same-origin',
          cache: 'no-store',
          headers: { Accept: 'application/json' },
          signal: ctrl.signal,
        });
        if (!resp.ok) return; // signed out or a passing failure: the next check tries again
        const data = await resp.json();
        const items = data && Array.isArray(data.items) ? data.items : [];
        const raised = items.filter((a) => a && Number(a.id) > newest).length;
        section.setAttribute('data-new-count', String(raised));
        if (raised > 0) {
          count.textContent = count.getAttribute('data-template').replace('{n}', String(raised));
          notice.hidden = false;
        } else {
          notice.hidden = true;
        }
      } catch (err) {
        // A network hiccup or a timeout: keep what is shown until the next check.
      } finally {
        clearTimeout(timer);
        checks += 1;
        section.setAttribute('data-live-checked', String(checks));
        setTimeout(check, EVERY_MS);
      }
    }

    setTimeout(check, EVERY_MS);
  }

  function init() {
    document.querySelectorAll('section[data-live-src]').forEach(start);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
