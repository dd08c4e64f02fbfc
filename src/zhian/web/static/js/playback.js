/*
 * Trip playback on the zhian map: a vehicle's track (and its permit's corridor) drawn over
 * the divisions, a slider and a play button that move the vehicle along it, and the trip's
 * alerts marked where they opened. Static, no framework, CSP-clean (no inline script/style).
 *
 * Markup (see transport/playback.html):
 *   <div data-zh-playback data-track="/api/v1/transport/.../track" data-empty="..."
 *        data-kind-labels='{"overspeed": "超速", ...}'>
 *     <div class="zh-map" data-zh-map data-geojson="..."></div>
 *     <button data-play data-label-play="播放" data-label-pause="暂停"></button>
 *     <input type="range" data-slider> <output data-clock></output> <output data-speed></output>
 *     <p data-summary></p> <ul data-alerts></ul>
 *   </div>
 *
 * When drawn the container gets data-ready="true", data-track-count (fixes drawn),
 * data-total (fixes in the window) and data-alert-count; on failure data-error.
 */
(function () {
  'use strict';

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const TICK_MS = 100;
  const PLAY_TICKS = 300; // a whole trip plays in about 30 s, whatever its length
  const FETCH_TIMEOUT_MS = 30000;

  function svgEl(name, attrs) {
    const node = document.createElementNS(SVG_NS, name);
    for (const key of Object.keys(attrs || {})) node.setAttribute(key, String(attrs[key]));
    return node;
  }

  function finite(v) {
    return typeof v === 'number' && Number.isFinite(v);
  }

  function localTime(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    return d.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
  }

  async function fetchTrack(raw) {
    const url = new URL(raw, document.baseURI);
    if (url.origin !== window.location.origin) throw new Error('not same-origin');
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), FETCH_TIMEOUT_MS);
    try {
      const resp = await fetch(url.href, {
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { Accept: 'application/json' },
        signal: ctrl.signal,
      });
      if (!resp.ok) throw new Error('HTTP ' + resp.status);
      const data = await resp.json();
      if (!data || !Array.isArray(data.positions)) throw new Error('not a track');
      return data;
    } finally {
      clearTimeout(timer);
    }
  }

  function whenMapReady(mapEl) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const ready = mapEl.getAttribute('data-ready');
        if (ready === 'true' && window.zhMap) {
          resolve(window.zhMap.init(mapEl));
          return true;
        }
        if (ready === 'false' && mapEl.hasAttribute('data-error')) {
          reject(new Error(mapEl.getAttribute('data-error')));
          return true;
        }
        return false;
      };
      if (check()) return;
      const obs = new MutationObserver(() => {
        if (check()) obs.disconnect();
      });
      obs.observe(mapEl, { attributes: true });
    });
  }

  function linePath(coords, ctl) {
    let d = '';
    for (const p of coords) {
      if (!Array.isArray(p) || !finite(p[0]) || !finite(p[1])) continue;
      const q = ctl.project(p[0], p[1]);
      d += (d ? 'L' : 'M') + q.x.toFixed(2) + ' ' + q.y.toFixed(2);
    }
    return d;
  }

  /* The index of the first fix at or after the given time (the last fix if none is). */
  function indexAt(times, t) {
    let lo = 0;
    let hi = times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function start(box) {
    const mapEl = box.querySelector('[data-zh-map]');
    const slider = box.querySelector('[data-slider]');
    const play = box.querySelector('[data-play]');
    const clock = box.querySelector('[data-clock]');
    const speed = box.querySelector('[data-speed]');
    const summary = box.querySelector('[data-summary]');
    const alertList = box.querySelector('[data-alerts]');
    let labels = {};
    try {
      labels = JSON.parse(box.getAttribute('data-kind-labels') || '{}');
    } catch (_) {
      labels = {};
    }

    function fail(err) {
      box.setAttribute('data-ready', 'false');
      box.setAttribute('data-error', String((err && err.message) || err).slice(0, 200));
      if (summary) summary.textContent = box.getAttribute('data-failed') || String(err);
      if (play) play.disabled = true;
      if (slider) slider.disabled = true;
    }

    // One request after the other: on SQLite every request takes the write lock, and the
    // track can wait the moment the divisions take to load.
    whenMapReady(mapEl)
      .then((ctl) => fetchTrack(box.getAttribute('data-track')).then((track) => draw(ctl, track)))
      .catch(fail);

    function draw(ctl, track) {
      const svg = ctl.svg;
      if (!svg) throw new Error('map not drawn');
      const layer = svgEl('g', { class: 'zh-layer-track' });
      svg.insertBefore(layer, svg.querySelector('.zh-layer-labels'));
      const points = svg.querySelector('.zh-layer-points');
      const bbox = [Infinity, Infinity, -Infinity, -Infinity];
      const grow = (lon, lat) => {
        bbox[0] = Math.min(bbox[0], lon);
        bbox[1] = Math.min(bbox[1], lat);
        bbox[2] = Math.max(bbox[2], lon);
        bbox[3] = Math.max(bbox[3], lat);
      };

      if (track.corridor_area && Array.isArray(track.corridor_area.coordinates)) {
        let d = '';
        for (const ring of track.corridor_area.coordinates) {
          d += linePath(ring, ctl) + 'Z';
          for (const p of ring) grow(p[0], p[1]);
        }
        layer.appendChild(svgEl('path', { class: 'zh-corridor', d, 'fill-rule': 'evenodd' }));
      }
      if (track.permit && track.permit.corridor) {
        const d = linePath(track.permit.corridor.coordinates || [], ctl);
        layer.appendChild(svgEl('path', { class: 'zh-corridor-line', d }));
      }

      const fixes = track.positions.filter((p) => finite(p.lon) && finite(p.lat));
      const coords = fixes.map((p) => [p.lon, p.lat]);
      const times = fixes.map((p) => Date.parse(p.time));
      for (const c of coords) grow(c[0], c[1]);
      const full = svgEl('path', { class: 'zh-track', d: linePath(coords, ctl) });
      const done = svgEl('path', { class: 'zh-track-done', d: '' });
      layer.append(full, done);

      const markers = [];
      for (const a of track.alerts || []) {
        if (!finite(a.lon) || !finite(a.lat)) continue;
        const q = ctl.project(a.lon, a.lat);
        const label = (labels[a.kind] || a.kind) + ' ' + localTime(a.opened_at);
        const c = svgEl('circle', {
          class: 'zh-point zh-point-alarm zh-track-alert',
          cx: q.x.toFixed(2),
          cy: q.y.toFixed(2),
          r: 1,
          'data-id': a.id,
          'data-kind': 'alarm',
          'data-name': label,
        });
        const t = svgEl('title');
        t.textContent = label;
        c.appendChild(t);
        markers.push(c);
        grow(a.lon, a.lat);
      }
      const vehicle = svgEl('circle', {
        class: 'zh-point zh-point-vehicle zh-track-vehicle',
        cx: 0,
        cy: 0,
        r: 1,
        'data-kind': 'vehicle',
        'data-name': track.plate,
      });
      if (points) {
        points.append(...markers);
        if (fixes.length) points.appendChild(vehicle);
      }

      if (Number.isFinite(bbox[0])) ctl.showExtent(bbox[0], bbox[1], bbox[2], bbox[3]);

      function setIndex(i) {
        if (!fixes.length) return;
        const k = Math.max(0, Math.min(fixes.length - 1, i | 0));
        const q = ctl.project(coords[k][0], coords[k][1]);
        vehicle.setAttribute('cx', q.x.toFixed(2));
        vehicle.setAttribute('cy', q.y.toFixed(2));
        done.setAttribute('d', linePath(coords.slice(0, k + 1), ctl));
        if (slider) slider.value = String(k);
        if (clock) clock.textContent = localTime(fixes[k].time);
        if (speed) speed.textContent = fixes[k].speed_kmh.toFixed(0) + ' km/h';
        box.setAttribute('data-index', String(k));
      }

      let timer = 0;
      function pause() {
        clearInterval(timer);
        timer = 0;
        if (play) play.textContent = play.getAttribute('data-label-play') || '▶';
      }
      function resume() {
        if (!fixes.length) return;
        if (Number(slider.value) >= fixes.length - 1) setIndex(0);
        const step = Math.max(1, Math.round(fixes.length / PLAY_TICKS));
        timer = setInterval(() => {
          const next = Number(slider.value) + step;
          setIndex(next);
          if (next >= fixes.length - 1) pause();
        }, TICK_MS);
        if (play) play.textContent = play.getAttribute('data-label-pause') || '❚❚';
      }

      if (slider) {
        slider.min = '0';
        slider.max = String(Math.max(0, fixes.length - 1));
        slider.disabled = fixes.length === 0;
        slider.addEventListener('input', () => setIndex(Number(slider.value)));
      }
      if (play) {
        play.disabled = fixes.length === 0;
        play.addEventListener('click', () => (timer ? pause() : resume()));
        pause();
      }

      if (alertList) {
        alertList.replaceChildren();
        for (const a of track.alerts || []) {
          const li = document.createElement('li');
          const b = document.createElement('button');
          b.type = 'button';
          b.className = 'zh-link-button';
          b.textContent = (labels[a.kind] || a.kind) + ' · ' + localTime(a.opened_at);
          b.addEventListener('click', () => {
            pause();
            setIndex(indexAt(times, Date.parse(a.opened_at)));
          });
          li.appendChild(b);
          alertList.appendChild(li);
        }
      }

      if (summary) {
        const tpl = fixes.length
          ? box.getAttribute('data-summary-text') || '{shown} / {total}'
          : box.getAttribute('data-empty') || '';
        summary.textContent = tpl
          .replace('{shown}', String(fixes.length))
          .replace('{total}', String(track.total))
          .replace('{stride}', String(track.stride));
      }
      setIndex(0);
      box.setAttribute('data-track-count', String(fixes.length));
      box.setAttribute('data-total', String(track.total));
      box.setAttribute('data-alert-count', String(markers.length));
      box.setAttribute('data-ready', 'true');
    }
  }

  function startAll() {
    for (const box of document.querySelectorAll('[data-zh-playback]')) start(box);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', startAll);
  } else {
    startAll();
  }
})();
