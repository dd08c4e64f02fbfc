/*
 * An import job's page while the job is open: polls the job's JSON status every second and
 * moves the progress bar and the counts; when the job is done or failed the page reloads once,
 * and the server renders the final counts and the rejected rows.
 */
(function () {
  'use strict';

  const POLL_MS = 1000;

  function watch(card) {
    const url = card.dataset.statusUrl;
    const openStatuses = (card.dataset.open || '').split(' ');
    if (!url || !openStatuses.includes(card.dataset.status)) return;
    const bar = card.querySelector('progress');

    async function poll() {
      let job = null;
      try {
        const resp = await fetch(url, {
          credentials: 'same-origin',
          headers: { Accept: 'application/json' },
        });
        if (resp.ok) job = await resp.json();
      } catch (err) {
        job = null; // a missed poll is retried; the job itself runs on the server
      }
      if (job) {
        if (bar) {
          bar.max = Math.max(job.total_rows, 1);
          bar.value = job.processed;
        }
        for (const el of card.querySelectorAll('[data-field]')) {
          const value = job[el.dataset.field];
          if (value !== undefined && value !== null) el.textContent = String(value);
        }
        if (!openStatuses.includes(job.status)) {
          window.location.reload();
          return;
        }
      }
      setTimeout(poll, POLL_MS);
    }

    setTimeout(poll, POLL_MS);
  }

  function start() {
    document.querySelectorAll('[data-zh-import-job]').forEach(watch);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
