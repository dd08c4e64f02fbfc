/*
 * zhian intake form: shows the default priority of the chosen type, locates the typed
 * address through the places geocoder (match level, or candidates to pick from), and shows
 * the hazard flags at the location found, and, as soon as the type and the location are
 * known, the incidents this call may duplicate (same type, 300 m, 15 minutes) with links, so
 * the call-taker can open one instead of registering the call twice. The form works without
 * it (the server geocodes). A click on the map fills the coordinates.
 */
(function () {
  'use strict';

  function text(el, value) {
    el.textContent = value;
    return el;
  }

  function start() {
    const form = document.querySelector('[data-zh-intake]');
    if (!form) return;
    const type = form.querySelector('#type');
    const hint = form.querySelector('[data-priority-default]');
    const place = form.querySelector('#location_text');
    const button = form.querySelector('[data-geocode]');
    const result = form.querySelector('[data-geocode-result]');
    const list = form.querySelector('[data-candidates]');
    const hazards = form.querySelector('[data-hazards]');
    const duplicates = form.querySelector('[data-duplicates]');
    const lonInput = form.querySelector('#lon');
    const latInput = form.querySelector('#lat');
    let point = null; // where the call is, once known: {lon, lat}
    let asked = 0; // answers to older questions are dropped

    async function showDuplicates() {
      const ticket = ++asked;
      if (!point || !type.value) {
        duplicates.replaceChildren();
        return;
      }
      const params = new URLSearchParams({
        type: type.value,
        lon: String(point.lon),
        lat: String(point.lat),
      });
      let found;
      try {
        const resp = await fetch(duplicates.getAttribute('data-url') + '?' + params, {
          credentials: 'same-origin',
          headers: { Accept: 'application/json' },
        });
        if (!resp.ok) throw new Error(String(resp.status));
        found = await resp.json();
      } catch (e) {
        found = [];
      }
      if (ticket !== asked) return;
      duplicates.replaceChildren();
      if (!found.length) return;
      duplicates.appendChild(text(document.createElement('strong'), duplicates.getAttribute('data-title')));
      const list = document.createElement('ul');
      for (const dup of found) {
        const item = document.createElement('li');
        const link = text(document.createElement('a'), '#' + dup.id);
        link.href = dup.url;
        link.dataset.duplicate = String(dup.id);
        item.appendChild(link);
        const metres = duplicates.getAttribute('data-metres').replace('{n}', String(Math.round(dup.distance_m)));
        const when = new Date(dup.received_at).toLocaleTimeString();
        item.appendChild(document.createTextNode(' ' + [dup.location_text || '', metres, when].filter(Boolean).join(' · ')));
        list.appendChild(item);
      }
      duplicates.appendChild(list);
    }

    function typedPoint() {
      const lon = parseFloat(lonInput.value);
      const lat = parseFloat(latInput.value);
      point = Number.isFinite(lon) && Number.isFinite(lat) ? { lon, lat } : null;
      showDuplicates();
    }

    function showDefault() {
      const option = type.options[type.selectedIndex];
      if (option && hint) {
        hint.textContent = hint.getAttribute('data-template').replace('{n}', option.dataset.priority);
      }
    }

    async function showHazards(found) {
      hazards.replaceChildren();
      const params = new URLSearchParams({ lon: String(found.lon), lat: String(found.lat) });
      if (found.address_id !== null && found.address_id !== undefined) {
        params.set('address_id', String(found.address_id));
      }
      const resp = await fetch(hazards.getAttribute('data-url') + '?' + params, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      });
      if (!resp.ok) return;
      const flags = await resp.json();
      if (!flags.length) return;
      hazards.appendChild(text(document.createElement('strong'), hazards.getAttribute('data-title')));
      for (const flag of flags) {
        const badge = text(document.createElement('span'), flag.label);
        badge.className = 'zh-badge zh-badge-red';
        badge.dataset.hazard = flag.kind;
        hazards.appendChild(document.createTextNode(' '));
        hazards.appendChild(badge);
        if (flag.detail) hazards.appendChild(document.createTextNode(' ' + flag.detail));
      }
    }

    async function locate() {
      const q = place.value.trim();
      list.replaceChildren();
      hazards.replaceChildren();
      if (!q) return;
      let found;
      try {
        const resp = await fetch(button.getAttribute('data-url') + '?' + new URLSearchParams({ q }), {
          credentials: 'same-origin',
          headers: { Accept: 'application/json' },
        });
        if (!resp.ok) throw new Error(String(resp.status));
        found = await resp.json();
      } catch (e) {
        text(result, result.getAttribute('data-failed'));
        return;
      }
      if (found.level && found.lon !== null && found.lat !== null) {
        text(
          result,
          result.getAttribute('data-level-label') + ': ' + found.level + ' (' +
            found.lon.toFixed(6) + ', ' + found.lat.toFixed(6) + ')'
        );
        result.dataset.level = found.level;
        point = { lon: found.lon, lat: found.lat };
        showHazards(found);
        showDuplicates();
      } else {
        text(result, result.getAttribute('data-none'));
        result.dataset.level = '';
        point = null;
        showDuplicates();
      }
      for (const candidate of found.candidates || []) {
        const item = document.createElement('li');
        const pick = text(document.createElement('button'), candidate.label);
        pick.type = 'button';
        pick.className = 'zh-link-button';
        pick.dataset.candidate = candidate.label;
        pick.addEventListener('click', () => {
          place.value = candidate.label;
          locate();
        });
        item.appendChild(pick);
        item.appendChild(document.createTextNode(' · ' + candidate.level));
        list.appendChild(item);
      }
    }

    type.addEventListener('change', () => {
      showDefault();
      showDuplicates();
    });
    const map = form.querySelector('[data-intake-map]');
    if (map) {
      map.addEventListener('zh-map-pick', (e) => {
        lonInput.value = e.detail.lon.toFixed(6);
        latInput.value = e.detail.lat.toFixed(6);
        typedPoint();
        showHazards({ lon: e.detail.lon, lat: e.detail.lat });
      });
    }
    lonInput.addEventListener('change', typedPoint);
    latInput.addEventListener('change', typedPoint);
    button.addEventListener('click', locate);
    showDefault();
    if (lonInput.value && latInput.value) typedPoint();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
