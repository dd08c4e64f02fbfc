/*
 * zhian console: small progressive enhancements (the pages work without them).
 * - A form, or its submit button, with data-confirm="…" asks before submitting.
 * - .zh-flash-info messages fade out after 8 s (not .zh-flash-sticky ones, and not while
 *   hovered or focused).
 */
(function () {
  'use strict';

  document.addEventListener(
    'submit',
    (e) => {
      const form = e.target;
      if (!(form instanceof HTMLFormElement)) return;
      const button = e.submitter;
      const message =
        (button && button.getAttribute('data-confirm')) || form.getAttribute('data-confirm');
      if (message && !window.confirm(message)) {
        e.preventDefault();
        e.stopImmediatePropagation();
      }
    },
    true
  );

  const FLASH_MS = 8000;

  function dismiss(flash) {
    if (!flash.isConnected) return;
    if (flash.matches(':hover, :focus-within')) {
      setTimeout(() => dismiss(flash), 2000);
      return;
    }
    flash.classList.add('zh-flash-hiding');
    // Removed after the CSS fade; also without one (reduced motion, no transition support).
    setTimeout(() => flash.remove(), 600);
  }

  function start() {
    for (const flash of document.querySelectorAll('.zh-flash-info:not(.zh-flash-sticky)')) {
      setTimeout(() => dismiss(flash), FLASH_MS);
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
