/*
 * New alerts on the transport page while it is open: the list is rendered by the server
 * (with its acknowledge and resolve forms), so this does not redraw it; every few seconds it
 * asks how many open alerts were raised after the newest one the page knew and, when there
 * are any, says how many, with a link that reloads the list. The check is identified like a
 * stream (it does not count as activity), so an unattended page still signs out when idle;
 * signed out, or refused, it stops. While the tab is hidden it does not ask.
 * Static, CSP-clean (no inline script or style).
 *
 * Markup (see transport/index.html):
 *   <section data-live-src="/transport/alerts/raised?after=<highest alert id when rendered>">
 *     <div data-testid="new-alerts" hidden><span data-count data-template="... {n} ...">
 *   </section>
 * The answer is {"after": id, "count": n}. The section gets data-live-checked (checks
 * done), data-new-count after each answer, and data-live-stopped when it gives up.
 */
(function () {
  'use strict';

  const EVERY_MS = 5000;
  const FETCH_TIMEOUT_MS = 10000;

  function start(section) {
    const src = new URL(section.getAttribute('data-live-src'), window.location.href);
    if (src.origin !== window.location.origin) return;
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

    function show(raised) {
      section.setAttribute('data-new-count', String(raised));
      if (raised > 0) {
        count.textContent = count.getAttribute('data-template').replace('{n}', String(raised));
        notice.hidden = false;
      } else {
        notice.hidden = true;
      }
    }

    // True to keep checking.
    async function ask() {
      const ctrl = new AbortController();
      const timer = setTimeout(() => ctrl.abort(), FETCH_TIMEOUT_MS);
      try {
        const resp = await fetch(src.href, {
          credentials: 'same-origin',
          cache: 'no-store',
          redirect: 'manual', // signed out, the page answers with a redirect to sign in
          headers: { Accept: 'application/json' },
          signal: ctrl.signal,
        });
        if (resp.type === 'opaqueredirect' || resp.status === 401 || resp.status === 403) {
          return false;
        }
        if (!resp.ok) return true; // a passing failure: the next check tries again
        const data = await resp.json();
        const raised = Number(data && data.count);
        if (Number.isFinite(raised) && raised >= 0) show(raised);
        return true;
      } catch (err) {
        return true; // a network hiccup or a timeout: keep what is shown
      } finally {
        clearTimeout(timer);
      }
    }

    async function check() {
      let again = true;
      if (!document.hidden) {
        again = await ask();
        checks += 1;
        section.setAttribute('data-live-checked', String(checks));
      }
      if (again) {
        setTimeout(check, EVERY_MS);
      } else {
        section.setAttribute('data-live-stopped', '');
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
